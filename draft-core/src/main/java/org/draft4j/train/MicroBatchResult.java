package org.draft4j.train;

import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.spi.Gradients;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one micro-batch of a training step gives, as arrays: the loss, its exact gradient by
 * parameter name, the per-sample rewards and reward terms, and extra metrics. Made by {@link
 * DraftTrainer#microBatch}; the trainer sums a step's results in micro-batch order, wherever they
 * were computed, so a step's update does not depend on where its micro-batches ran. The holder owns
 * the arrays: the trainer frees the gradients once it has added them ({@link #releaseGradients}).
 * A {@link DataParallel} that computes micro-batches in other processes carries them in its own
 * wire format and gives the trainer values of this type.
 *
 * @param index the micro-batch's position in its step, {@code [0, global/micro)}
 * @param loss the micro-batch loss (NaN when it failed with an arithmetic error)
 * @param gradients {@code dLoss/dθ} per parameter (absent: zero)
 * @param rewards per-sample rewards
 * @param terms per-sample values of each logged reward term
 * @param metrics extra scalars
 */
public record MicroBatchResult(int index, double loss, Map<String, INDArray> gradients, INDArray rewards,
    Map<String, INDArray> terms, Map<String, Double> metrics) {
  /** Keeps the maps' order in unmodifiable copies. */
  public MicroBatchResult {
    gradients = Collections.unmodifiableMap(new LinkedHashMap<>(gradients));
    terms = Collections.unmodifiableMap(new LinkedHashMap<>(terms));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /**
   * A data-parallel step's results sorted by index.
   *
   * @throws IllegalStateException unless they are micro-batches {@code 0 .. count−1} of step
   *     {@code step} (0-based) once each
   */
  static List<MicroBatchResult> inIndexOrder(List<MicroBatchResult> results, int count, long step) {
    List<MicroBatchResult> sorted = new ArrayList<>(results);
    sorted.sort(Comparator.comparingInt(MicroBatchResult::index));
    for (int mb = 0; mb < count; mb++) {
      checkState(sorted.size() == count && sorted.get(mb).index() == mb,
          "data parallel: step %s needs micro-batches 0..%s once each, got %s", step + 1, count - 1,
          sorted.stream().map(MicroBatchResult::index).toList());
    }
    return sorted;
  }

  /** Frees the gradient arrays (views and already-closed arrays are skipped). */
  public void releaseGradients() {
    new Gradients(null, gradients).release();
  }
}
