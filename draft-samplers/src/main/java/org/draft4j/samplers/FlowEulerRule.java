package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.sampling.StepCoefficients;
import org.draft4j.sampling.StepRule;

/**
 * The Euler step of a rectified flow as a {@link StepRule}: the model output is a velocity
 * {@code v ≈ ε − x₀} at model time {@code t_i = N·σ_i} ({@link FlowMatchSchedule#time}), and step i
 * goes from σ_i to σ_{i+1}:
 * <pre>
 *   x_{i+1} = x_i + (σ_{i+1} − σ_i)·v                    a = 1, b = σ_{i+1} − σ_i, c = 0
 *   x̂₀     = x_i − σ_i·v                                p = 1, q = −σ_i
 * </pre>
 * With {@code stochastic_sampling} the step re-noises the read-out to the next level instead,
 * {@code x_{i+1} = (1 − σ_{i+1})·x̂₀ + σ_{i+1}·z}: {@code a = 1 − σ_{i+1}},
 * {@code b = −(1 − σ_{i+1})·σ_i}, {@code c = σ_{i+1}} (the last step, σ_n = 0, is the read-out).
 * Both are affine in (x, v), so the chain's backward is exact for every step; the re-noising
 * DRaFT-LV uses is the schedule's {@code σ·ε + (1 − σ)·x₀}.
 *
 * <p>The step size {@code σ_{i+1} − σ_i} is rounded to float32 as diffusers' {@code dt} is.
 */
public final class FlowEulerRule implements StepRule {
  private final FlowMatchSchedule schedule;
  private final boolean stochastic;

  /**
   * Euler steps over {@code schedule} (deterministic, or {@code stochastic} as diffusers'
   * {@code stochastic_sampling}); refused where a level is not finite (diffusers' NaN for
   * {@code shift_terminal} with one step).
   */
  public FlowEulerRule(FlowMatchSchedule schedule, boolean stochastic) {
    checkArgument(schedule != null, "a flow rule needs a schedule");
    checkArgument(schedule.finite(), "schedule %s has a non-finite sigma (shift_terminal with 1 step gives NaN in"
        + " diffusers); use at least 2 steps or no shift_terminal", schedule);
    this.schedule = schedule;
    this.stochastic = stochastic;
  }

  @Override
  public FlowMatchSchedule schedule() {
    return schedule;
  }

  /** Whether steps re-noise (diffusers' {@code stochastic_sampling}). */
  public boolean stochastic() {
    return stochastic;
  }

  @Override
  public StepCoefficients coefficients(int step) {
    checkArgument(step >= 0 && step < schedule.numSteps(), "step %s outside [0, %s)", step, schedule.numSteps());
    double s = schedule.sigma(step);
    double next = schedule.sigma(step + 1);
    if (stochastic) {
      return new StepCoefficients(1 - next, -(1 - next) * s, next, 1, -s);
    }
    return new StepCoefficients(1, (float) next - (float) s, 0, 1, -s);
  }

  @Override
  public String toString() {
    return "FlowMatch.steps(" + schedule.numSteps() + ")" + (stochastic ? ".stochastic()" : "");
  }
}
