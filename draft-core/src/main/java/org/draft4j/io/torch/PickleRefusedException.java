package org.draft4j.io.torch;

/**
 * A pickle that asks for something draft4j never does: a global that is not on the allow-list
 * ({@code os.system}, {@code builtins.eval}, any unknown class), or an opcode outside the subset torch
 * files use. Nothing is ever executed; the message names the global as {@code module.name} (or the
 * opcode), the file and the byte offset.
 */
public final class PickleRefusedException extends TorchFormatException {
  private static final long serialVersionUID = 1L;

  /** A refusal with its full message (file first). */
  public PickleRefusedException(String message) {
    super(message);
  }
}
