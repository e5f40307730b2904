package org.draft4j.optim;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A first-order optimizer as an immutable value with explicit state (optax style): {@link #init}
 * makes the state, {@link #update} applies one step to the parameters in place.
 */
public interface Optimizer {
  /** Fresh state for these parameters. */
  OptimizerState init(Map<String, INDArray> params);

  /**
   * Applies one update in place. {@code grads} are the loss gradients (possibly clipped by the
   * optimizer); returns the global gradient norm before clipping.
   */
  double update(Map<String, INDArray> params, Map<String, INDArray> grads, OptimizerState state);

  /** Learning rate used at (0-based) step. */
  double learningRate(long step);

  /** Hyperparameters, for provenance and resume checks. */
  Map<String, Object> config();
}
