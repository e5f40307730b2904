package org.draft4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The noise schedule of a sampling chain as objectives see it: the model time each step evaluates
 * and how a clean sample is noised to a step's level. Step i maps its input {@code x_i} to
 * {@code x_{i+1}}; step 0's input is pure noise, the last step's output the sample.
 *
 * <p>Time is real-valued, whatever the model is fed: a DDPM timestep {@code t ∈ [0, T)} (DDIM
 * feeds integers), or a noise level {@code σ ∈ [0, 1]} for flow matching.
 */
public interface SamplingSchedule {
  /** Number of steps of the chain. */
  int numSteps();

  /** The model time evaluated at step {@code step} (0 ≤ step < numSteps). */
  double time(int step);

  /**
   * Forward-noises a clean sample to the noise level of step {@code step}'s input, the forward
   * process's marginal at {@link #time}(step) (DRaFT-LV's re-noising): for a DDPM schedule
   * {@code x = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε}; for a flow schedule {@code x_σ = σ·ε + (1−σ)·x₀}.
   */
  INDArray noiseTo(INDArray x0, int step, INDArray noise);
}
