package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.spi.SamplingSchedule;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DDIM chain's schedule as objectives see it: its steps' integer timesteps (the model time) and
 * diffusers' {@code add_noise} re-noising {@code √ᾱ_t·x₀ + √(1−ᾱ_t)·ε}.
 */
final class DdimSchedule implements SamplingSchedule {
  private final DdimScheduler scheduler;
  private final int[] timesteps;

  DdimSchedule(DdimScheduler scheduler, int[] timesteps) {
    this.scheduler = scheduler;
    this.timesteps = timesteps.clone();
  }

  @Override
  public int numSteps() {
    return timesteps.length;
  }

  /** The model timestep of step {@code step}, as an integer. */
  int timestep(int step) {
    checkArgument(step >= 0 && step < timesteps.length, "step %s outside [0, %s)", step, timesteps.length);
    return timesteps[step];
  }

  @Override
  public double time(int step) {
    return timestep(step);
  }

  @Override
  public INDArray noiseTo(INDArray x0, int step, INDArray noise) {
    return scheduler.addNoise(x0, noise, timestep(step));
  }
}
