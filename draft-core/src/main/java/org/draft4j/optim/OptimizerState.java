package org.draft4j.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Optimizer state: a step counter and named moment arrays (serializable as tensors). */
public final class OptimizerState {
  private long step;
  private final Map<String, INDArray> slots = new LinkedHashMap<>();

  public long step() {
    return step;
  }

  public void setStep(long step) {
    this.step = step;
  }

  /** Named state arrays, e.g. {@code m/<param>} and {@code v/<param>} for Adam. */
  public Map<String, INDArray> slots() {
    return slots;
  }
}
