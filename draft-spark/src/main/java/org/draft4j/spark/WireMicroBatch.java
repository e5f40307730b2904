package org.draft4j.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.train.MicroBatchResult;

/**
 * A {@link MicroBatchResult} as an executor sends it back to the driver: the same fields with the
 * arrays as {@link WireTensor}s. The driver turns it back into a result of the same values, which
 * its trainer folds as it folds its own.
 *
 * @param index the micro-batch's position in its step
 * @param loss the micro-batch loss
 * @param gradients {@code dLoss/dθ} per parameter
 * @param rewards per-sample rewards
 * @param terms per-sample values of each logged reward term
 * @param metrics extra scalars
 */
record WireMicroBatch(int index, double loss, Map<String, WireTensor> gradients, WireTensor rewards,
    Map<String, WireTensor> terms, Map<String, Double> metrics) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The result's values, copied; its gradient arrays are freed (sent). */
  static WireMicroBatch of(MicroBatchResult r) {
    WireMicroBatch w = new WireMicroBatch(r.index(), r.loss(), WireTensor.of(r.gradients()),
        WireTensor.of(r.rewards()), WireTensor.of(r.terms()), new LinkedHashMap<>(r.metrics()));
    r.releaseGradients();
    return w;
  }

  /** The result as arrays again. */
  MicroBatchResult toResult() {
    return new MicroBatchResult(index, loss, WireTensor.arrays(gradients), rewards.toArray(),
        WireTensor.arrays(terms), metrics);
  }
}
