package org.draft4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rollout of a sampling chain ({@link Sampler#rollout}): its output and, for the steps its
 * {@link Span} differentiates, its own backward pass. The trajectory holds the inputs of the
 * differentiated steps; {@code backward} recomputes each step's activations from its input and
 * chains vector-Jacobian products last to first, so memory grows with the number of differentiated
 * steps, not with activations.
 */
public interface Trajectory {
  /** The steps this trajectory ran and differentiates. */
  Span span();

  /** {@code x_to}, or the last step's {@code x̂₀} for a span ending in the predicted sample. */
  INDArray output();

  /**
   * Given {@code gradOutput = dL/d output}, returns {@code dL/dx} of the first differentiated step's
   * input and {@code dL/dθ}. A span without differentiated steps returns {@code gradOutput} as the
   * input gradient and no parameter gradients.
   */
  default Gradients backward(INDArray gradOutput) {
    return backward(gradOutput, null);
  }

  /** As {@link #backward(INDArray)}, a penalty (or null) adding its cotangent on each differentiated step. */
  Gradients backward(INDArray gradOutput, StepPenalty penalty);
}
