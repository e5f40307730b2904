package org.draft4j.train;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Training ended early on {@link DraftTrainer#requestStop()}, at a step boundary: the parameters and
 * optimizer state are those after {@link #step()} complete steps, and with a checkpoint directory a
 * checkpoint of that step was written, so building the same trainer again resumes there bit for bit.
 */
public class TrainingStoppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long step;
  private final transient Path checkpointDir;

  /** A stop after {@code step} steps; {@code checkpointDir} holds its checkpoint, or is null when there is none. */
  public TrainingStoppedException(long step, Path checkpointDir) {
    super("training stopped on request after step " + step + (checkpointDir == null
        ? " (no checkpoint directory: the progress is not saved)"
        : "; checkpoint written in " + checkpointDir + ", building the same trainer resumes from it"));
    this.step = step;
    this.checkpointDir = checkpointDir;
  }

  /** The number of completed steps. */
  public long step() {
    return step;
  }

  /** Where the checkpoint of {@link #step()} is, when the trainer has a checkpoint directory. */
  public Optional<Path> checkpointDir() {
    return Optional.ofNullable(checkpointDir);
  }
}
