package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.sampling.StepCoefficients;
import org.draft4j.sampling.StepRule;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DDIM as a {@link StepRule}: step i goes from timestep {@code t = t_i} to {@code t' = t − T/n}
 * ({@link DdimScheduler#prevTimestep}), with the scheduler's affine coefficients
 * <pre>
 *   x_{t'} = cx·x_t + co·out + σ_t·z,   x̂₀ = px·x_t + po·out
 * </pre>
 * ({@code σ_t = η·√(variance)}; see {@link DdimScheduler}). With {@code clip_sample} the forward is
 * diffusers' clipped step and the backward is refused.
 */
final class DdimRule implements StepRule {
  private final DdimScheduler scheduler;
  private final double eta;
  private final DdimSchedule schedule;

  DdimRule(DdimScheduler scheduler, int numSteps, double eta) {
    checkArgument(eta >= 0 && Double.isFinite(eta), "eta = %s must be finite and >= 0", eta);
    this.scheduler = scheduler;
    this.eta = eta;
    this.schedule = new DdimSchedule(scheduler, scheduler.timesteps(numSteps));
  }

  DdimScheduler scheduler() {
    return scheduler;
  }

  double eta() {
    return eta;
  }

  @Override
  public DdimSchedule schedule() {
    return schedule;
  }

  private int prev(int step) {
    return scheduler.prevTimestep(schedule.timestep(step), schedule.numSteps());
  }

  @Override
  public StepCoefficients coefficients(int step) {
    DdimScheduler.Coefficients c = scheduler.coefficients(schedule.timestep(step), prev(step), eta);
    return new StepCoefficients(c.cx(), c.co(), c.std(), c.px(), c.po());
  }

  /** The affine step in float64, or diffusers' clipped step with {@code clip_sample}. */
  @Override
  public INDArray advance(int step, StepCoefficients k, INDArray x, INDArray out, INDArray z) {
    if (scheduler.config().clipSample()) {
      return scheduler.step(out, schedule.timestep(step), prev(step), x, eta, z).prevSample();
    }
    return StepRule.super.advance(step, k, x, out, z);
  }

  @Override
  public void checkDifferentiable(int step) {
    checkArgument(!scheduler.config().clipSample(),
        "clip_sample = true is not differentiable; use a scheduler config with clip_sample false for training");
  }

  @Override
  public String toString() {
    return "Ddim.steps(" + schedule.numSteps() + ").eta(" + eta + ")";
  }
}
