package org.draft4j.train;

import static com.google.common.base.Preconditions.checkState;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A training step's gradient: each micro-batch's gradient, as float, times its weight
 * ({@code micro / global}), added in micro-batch order into one array per trainable parameter. The
 * arrays are made once, like the parameters, and zeroed at every step. The order and the float
 * weighting are what make a step's update the same bits wherever its micro-batches ran.
 */
final class GradientSum {
  private final Map<String, INDArray> params;
  private final String objective;
  private final Map<String, INDArray> sums = new LinkedHashMap<>();

  /**
   * @param params the trainable parameters (their names, shapes and types)
   * @param objective the objective's name, for errors
   */
  GradientSum(Map<String, INDArray> params, String objective) {
    this.params = params;
    this.objective = objective;
  }

  /** Starts a step: every sum zero (the arrays are made on the first step). */
  void reset() {
    if (sums.isEmpty()) {
      params.forEach((k, v) -> sums.put(k, Nd4j.zerosLike(v)));
    }
    sums.values().forEach(g -> g.assign(0));
  }

  /**
   * Adds {@code weight ×} each gradient to its parameter's sum.
   *
   * @throws IllegalStateException naming a gradient of a name that is not a trainable parameter
   */
  void add(Map<String, INDArray> gradients, double weight) {
    gradients.forEach((k, v) -> {
      INDArray acc = sums.get(k);
      checkState(acc != null, "objective %s returned a gradient for %s, which is not a trainable parameter",
          objective, k);
      acc.addi(v.castTo(DataType.FLOAT).mul(weight));
    });
  }

  /** Whether every sum is finite. */
  boolean allFinite() {
    boolean finite = true;
    for (INDArray g : sums.values()) {
      finite &= org.draft4j.engine.HostFloats.allFinite(g);
    }
    return finite;
  }

  /** The sums by parameter name (live: the next {@link #reset} zeroes them). */
  Map<String, INDArray> values() {
    return Collections.unmodifiableMap(sums);
  }
}
