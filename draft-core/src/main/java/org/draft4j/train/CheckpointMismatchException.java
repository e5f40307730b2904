package org.draft4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.draft4j.io.Json;

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

  /**
   * Refuses to resume {@code file} when the configuration it was written with ({@code saved}, a JSON
   * text) differs from {@code now} (any value Jackson writes: a record, a map), comparing field by
   * field in any key order and naming the first leaf that differs ({@code scheduler.prediction_type};
   * a field only one side has differs too). The trainer's checkpoints and the pretraining programs'
   * are compared by this one rule.
   *
   * @throws CheckpointMismatchException when they differ; also when {@code saved} is absent
   */
  public static void requireSameConfiguration(Path file, String saved, Object now) {
    JsonNode nowTree = Json.mapper().valueToTree(now);
    if (saved == null) {
      throw new CheckpointMismatchException(file, "config", "(none)", Json.write(nowTree));
    }
    // the saved side is text from the file, parsed strictly; this side is the value itself
    JsonNode savedTree = Json.mapper().valueToTree(Json.parse(saved));
    ConfigDifference d = ConfigDifference.first("", savedTree, nowTree);
    if (d != null) {
      throw new CheckpointMismatchException(file, d.field(), Json.write(d.saved()), Json.write(d.now()));
    }
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
