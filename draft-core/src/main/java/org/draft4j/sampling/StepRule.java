package org.draft4j.sampling;

import org.draft4j.spi.SamplingSchedule;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a sampler supplies to a {@link Chain}: its schedule (steps, model time per step,
 * re-noising) and, per step, the affine {@link StepCoefficients} {@code x_{i+1} = a·x_i + b·out_i
 * + c·z_i}, {@code x̂₀ = p·x_i + q·out_i}. The chain does the rest once for every rule: the model
 * calls (through its decorators), the per-sample noise, rollout bookkeeping over a span and the
 * checkpointed backward, which uses the same coefficients ({@code dL/dx_i = a·g + J_xᵀ(b·g)}).
 *
 * <p>DDIM is such a rule ({@code x_{t'} = √ᾱ_{t'}·x̂₀ + √(1−ᾱ_{t'}−σ²)·ε̂ + σ·z}, affine in
 * (x, ε̂)); so is an Euler step of a flow {@code x_{σ'} = x_σ + (σ' − σ)·v}.
 */
public interface StepRule {
  /** The schedule the rule steps along; its {@code time(i)} is what the model is fed at step i. */
  SamplingSchedule schedule();

  /** The coefficients of step {@code step} (0 ≤ step < numSteps). */
  StepCoefficients coefficients(int step);

  /**
   * The forward of step {@code step}: {@code a·x + b·out + c·z}, formed in float64 and rounded once
   * to {@code x}'s type ({@code z} is null when {@code c = 0}). A rule whose forward is not affine
   * (DDIM's {@code clip_sample}) overrides this and refuses the backward in
   * {@link #checkDifferentiable}.
   */
  default INDArray advance(int step, StepCoefficients k, INDArray x, INDArray out, INDArray z) {
    INDArray next = x.castTo(DataType.DOUBLE).mul(k.a()).addi(out.castTo(DataType.DOUBLE).mul(k.b()));
    if (z != null) {
      next.addi(z.castTo(DataType.DOUBLE).mul(k.c()));
    }
    return next.castTo(x.dataType());
  }

  /** Throws where step {@code step}'s forward is not the affine map the backward differentiates. */
  default void checkDifferentiable(int step) {}
}
