package org.draft4j.io.torch;

/**
 * A reference to an allowed, inert Python global as it stands in the object tree (for example the
 * dtype {@code torch.float32}, or the class {@code ModelCheckpoint} that Lightning uses as a dict key):
 * a name only, never resolved or called.
 *
 * @param module the module, e.g. {@code torch}
 * @param name the attribute, e.g. {@code float32}
 */
public record PickledGlobal(String module, String name) {
  /** {@code module.name}. */
  public String qualifiedName() {
    return module + "." + name;
  }

  @Override
  public String toString() {
    return qualifiedName();
  }
}
