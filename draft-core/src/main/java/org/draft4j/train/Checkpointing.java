package org.draft4j.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.draft4j.optim.EmaState;
import org.draft4j.optim.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trainer's checkpoint policy: with a directory, the trainer resumes from the checkpoint there
 * when it is built ({@link #resume}) and writes one every {@code every} steps and at the end of
 * each {@code fit} ({@link #afterStep}); without one ({@link #none()}), neither. The file format is
 * {@link Checkpoints}'.
 */
final class Checkpointing {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointing.class);
  private static final Checkpointing NONE = new Checkpointing(null, 0);
  private final Path dir;
  private final int every;

  private Checkpointing(Path dir, int every) {
    this.dir = dir;
    this.every = every;
  }

  /** Checkpoints in {@code dir} (created by the builder) every {@code every} steps. */
  static Checkpointing in(Path dir, int every) {
    return new Checkpointing(dir, every);
  }

  /** No checkpoints. */
  static Checkpointing none() {
    return NONE;
  }

  /** Whether there is a checkpoint directory. */
  boolean enabled() {
    return dir != null;
  }

  /**
   * Restores parameters and optimizer state in place from the directory's checkpoint and returns
   * its step; 0, touching nothing, when there is none (or no directory).
   *
   * @throws CheckpointMismatchException when the checkpoint was written with another configuration
   */
  long resume(Map<String, INDArray> params, OptimizerState state, TrainingConfig config) {
    return resume(params, state, null, config);
  }

  /** As {@link #resume(Map, OptimizerState, TrainingConfig)}, restoring the EMA {@code ema} too (null: none). */
  long resume(Map<String, INDArray> params, OptimizerState state, EmaState ema, TrainingConfig config) {
    if (dir == null || !Checkpoints.exists(dir)) {
      return 0;
    }
    long step = Checkpoints.restore(dir, params, state, ema, config);
    LOG.info("resumed from {} at step {}", Checkpoints.file(dir), step);
    return step;
  }

  /**
   * Writes a checkpoint after a completed (not skipped) step when one is due: every N steps and at
   * {@code target}; {@code ema} is null without an EMA.
   */
  void afterStep(long step, long target, Map<String, INDArray> params, OptimizerState state, EmaState ema,
      Supplier<Provenance> provenance) {
    if (dir != null && (step % every == 0 || step == target)) {
      Checkpoints.write(dir, step, params, state, ema, provenance.get());
    }
  }

  /** Where the last good checkpoint is, for messages: {@code " in <dir>"}, or that there is none. */
  String whereLastGood() {
    return dir == null ? " (none: no checkpoint directory)" : " in " + dir;
  }

  /**
   * A stop between steps ({@link DraftTrainer#requestStop()}): a checkpoint of the steps done, as at a
   * fit's end (the same file, written atomically), and the exception that reports it.
   */
  TrainingStoppedException stop(long step, Map<String, INDArray> params, OptimizerState state, EmaState ema,
      java.util.function.Supplier<Provenance> provenance) {
    afterStep(step, step, params, state, ema, provenance);
    LOG.info("stopped on request after step {}{}", step, whereLastGood());
    return new TrainingStoppedException(step, enabled() ? dir : null);
  }
}
