package org.draft4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The noise schedule of a sampling chain as objectives see it: which model timestep each step
 * evaluates and how a clean sample is noised to a step's level. Step i maps its input
 * {@code x_i} to {@code x_{i+1}}; step 0's input is pure noise, the last step's output the sample.
 */
public interface SamplingSchedule {
  /** Number of steps of the chain. */
  int numSteps();

  /** The model timestep evaluated at step {@code step} (0 ≤ step < numSteps). */
  int timestep(int step);

  /**
   * Forward-noises a clean sample to the noise level of step {@code step}'s input,
   * {@code x = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε} with t = {@link #timestep}(step) (DRaFT-LV's re-noising).
   */
  INDArray noiseTo(INDArray x0, int step, INDArray noise);
}
