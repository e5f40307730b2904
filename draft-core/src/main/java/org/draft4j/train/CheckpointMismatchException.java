package org.draft4j.train;

import java.nio.file.Path;

/**
 * A checkpoint was written by a trainer with another configuration: resuming it would silently mix
 * two runs, so the trainer refuses it, naming the first field that differs.
 */
public final class CheckpointMismatchException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final Path file;
  private final String field;

  /**
   * @param file the checkpoint file
   * @param field the first configuration field that differs
   * @param saved the field's value in the checkpoint (JSON)
   * @param now the field's value in this trainer (JSON)
   */
  public CheckpointMismatchException(Path file, String field, String saved, String now) {
    super(file + " was written with " + field + " = " + saved + " but this trainer has " + field + " = " + now
        + "; resume with the same configuration or use another checkpoint directory");
    this.file = file;
    this.field = field;
  }

  /** The checkpoint file. */
  public Path file() {
    return file;
  }

  /** The first configuration field that differs. */
  public String field() {
    return field;
  }
}
