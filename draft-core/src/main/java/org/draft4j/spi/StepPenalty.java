package org.draft4j.spi;

import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A regularizer on the guided model output of each differentiated step of a trajectory (DRaFT+'s
 * KL term), applied during {@link Trajectory#backward}.
 */
@FunctionalInterface
public interface StepPenalty {
  /**
   * Returns {@code dP/d out} for step {@code step} (or null for none).
   *
   * @param x the step's input
   * @param guidedOutput the adapted model's guided output at this step
   * @param reference computes the same with adapters off (no gradient), on demand
   */
  INDArray cotangent(int step, INDArray x, INDArray guidedOutput, Supplier<INDArray> reference);
}
