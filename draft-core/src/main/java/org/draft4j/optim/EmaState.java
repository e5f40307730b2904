package org.draft4j.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The state of an {@link Ema}: the number of updates applied so far (diffusers' {@code
 * optimization_step}) and one shadow array per parameter, under the parameter's name (serializable
 * as tensors).
 */
public final class EmaState {
  private long step;
  private final Map<String, INDArray> shadow = new LinkedHashMap<>();

  /** Updates applied so far ({@link Ema#update} counts them; the next one uses {@code decayAt(step() + 1)}). */
  public long step() {
    return step;
  }

  /** Sets the update count (a resume restores it with the shadows). */
  public void setStep(long step) {
    this.step = step;
  }

  /** The averaged parameters, by parameter name (live: updated in place). */
  public Map<String, INDArray> shadow() {
    return shadow;
  }
}
