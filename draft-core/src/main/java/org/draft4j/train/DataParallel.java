package org.draft4j.train;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a training step's micro-batches are computed when not all in this process: synchronous data
 * parallelism. The trainer (the driver) keeps the optimizer, the adapter and the checkpoints; each
 * step it hands the current trainable parameters to {@link #compute}, which returns the results of
 * micro-batches {@code 0 .. count−1} of that step, each computed by {@link DraftTrainer#microBatch}
 * on a replica of the same trainer (same model, sampler, reward, objective, prompts, seed and
 * batch: the samples, seeds and noise a single process would use). The trainer then folds them in
 * micro-batch order, as it does locally, so the update is the single-process one bit for bit.
 * Parameters and results are arrays on this interface; an implementation that computes in other
 * processes carries them in its own wire format and converts at its edge.
 *
 * <p>Implementations: {@code org.draft4j.spark.SparkDataParallel} (module draft-spark).
 */
public interface DataParallel extends AutoCloseable {
  /** The number of workers a step is spread over; it must divide the step's micro-batch count. */
  int workers();

  /**
   * Checks, before the first step, that this can run the trainer's steps: for example that the
   * workers divide the {@code microBatches} of a step. Throws {@link IllegalArgumentException}
   * naming the setting otherwise. The default checks the division.
   */
  default void validate(TrainingConfig config, int microBatches) {
    if (microBatches % workers() != 0) {
      throw new IllegalArgumentException("dataParallel: workers = " + workers() + " must divide the micro-batches"
          + " of a step (global / micro = " + microBatches + "); choose workers among the divisors of "
          + microBatches + " or change the batch");
    }
  }

  /**
   * The results of micro-batches {@code 0 .. count−1} of step {@code step} (0-based) with these
   * parameter values, in any order (the trainer sorts them by index). The trainer owns the returned
   * arrays (it frees the gradients once added); {@code params} are the trainer's live parameters,
   * to be read during the call only.
   */
  List<MicroBatchResult> compute(long step, int count, Map<String, INDArray> params);

  /** Releases the workers' resources; the default does nothing. */
  @Override
  default void close() {}
}
