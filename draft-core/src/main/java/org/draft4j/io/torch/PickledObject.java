package org.draft4j.io.torch;

import java.util.List;

/**
 * An instance of an allowed inert class (a numpy dtype or array, Lightning's {@code ModelCheckpoint},
 * a {@code ParameterDict}) kept as data and never interpreted: the class name, the arguments its
 * pickle passed to the constructor, and the state a {@code BUILD} opcode gave it (null when none).
 */
public final class PickledObject {
  private final String className;
  private final List<Object> args;
  private Object state;
  private boolean built;

  PickledObject(String className, List<Object> args) {
    this.className = className;
    this.args = args;
  }

  /** The class as {@code module.name}. */
  public String className() {
    return className;
  }

  /** The constructor arguments (read-only). */
  public List<Object> args() {
    return args;
  }

  /** The state set by {@code BUILD}, or null. */
  public Object state() {
    return state;
  }

  /** Sets the state once; false when it was already set (a second BUILD, which torch never writes). */
  boolean build(Object s) {
    if (built) {
      return false;
    }
    built = true;
    state = s;
    return true;
  }

  @Override
  public String toString() {
    return className + "(" + args.size() + " args" + (built ? ", with state" : "") + ")";
  }
}
