package org.draft4j.samplers;

import org.draft4j.spi.SamplingSchedule;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A DDIM sampler's schedule as objectives see it: its steps' timesteps and re-noising. */
final class DdimSchedule implements SamplingSchedule {
  private final DdimSampler sampler;

  DdimSchedule(DdimSampler sampler) {
    this.sampler = sampler;
  }

  @Override
  public int numSteps() {
    return sampler.numSteps();
  }

  @Override
  public int timestep(int step) {
    return sampler.timestep(step);
  }

  @Override
  public INDArray noiseTo(INDArray x0, int step, INDArray noise) {
    return sampler.scheduler().addNoise(x0, noise, timestep(step));
  }
}
