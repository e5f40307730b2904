package org.draft4j.testing;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.sampling.Chain;
import org.draft4j.sampling.StepCoefficients;
import org.draft4j.sampling.StepRule;
import org.draft4j.spi.SamplingSchedule;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The smallest step rule, for tests that must not depend on draft-samplers: n Euler steps
 * {@code x_{i+1} = x_i − h·out_i} with {@code h = 1/n} at model time
 * {@code t_i = round(999·(1 − i/n))}, the read-out {@code x̂₀ = x_i − (n − i)·h·out_i}, and
 * re-noising {@code x = √ā_i·x₀ + √(1 − ā_i)·ε} with {@code ā_i = (i + 1)/(n + 1)}. As a
 * {@link Chain} with classifier-free guidance ({@link #steps}) it has everything objectives and
 * the trainer use, with the chain's exact backward.
 */
public final class ToySampler implements StepRule {
  private final int n;

  private ToySampler(int n) {
    checkArgument(n >= 1, "ToySampler needs n >= 1 steps, got %s", n);
    this.n = n;
  }

  /** The chain of n steps with guidance scale g (1: conditional only). */
  public static Chain steps(int n, double guidance) {
    return Chain.of(new ToySampler(n)).guided(guidance);
  }

  @Override
  public SamplingSchedule schedule() {
    return new SamplingSchedule() {
      @Override
      public int numSteps() {
        return n;
      }

      @Override
      public double time(int step) {
        checkArgument(step >= 0 && step < n, "step %s outside [0, %s)", step, n);
        return Math.round(999.0 * (1 - (double) step / n));
      }

      @Override
      public INDArray noiseTo(INDArray x0, int step, INDArray noise) {
        double a = (step + 1.0) / (n + 1.0);
        return x0.mul(Math.sqrt(a)).addi(noise.mul(Math.sqrt(1 - a)));
      }
    };
  }

  @Override
  public StepCoefficients coefficients(int step) {
    double h = 1.0 / n;
    return new StepCoefficients(1, -h, 0, 1, -(n - step) * h);
  }

  @Override
  public String toString() {
    return "ToySampler.steps(" + n + ")";
  }
}
