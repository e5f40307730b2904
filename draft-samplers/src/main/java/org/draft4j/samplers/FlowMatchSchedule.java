package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import org.draft4j.spi.SamplingSchedule;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of {@link FlowMatchEulerScheduler#setTimesteps}: diffusers' {@code scheduler.timesteps}
 * (n values, float32) and {@code scheduler.sigmas} (n + 1 noise levels, float32, the last 0), as an
 * immutable value. As a {@link SamplingSchedule}, step i evaluates the model at time
 * {@code t_i = N·σ_i} (the timestep, in float32) and re-noises a clean sample to step i's level
 * with the flow's forward marginal (diffusers' {@code scale_noise}):
 * <pre>
 *   x_σ = σ·ε + (1 − σ)·x₀,   σ = σ_i
 * </pre>
 */
public final class FlowMatchSchedule implements SamplingSchedule {
  private final float[] timesteps;
  private final float[] sigmas;

  FlowMatchSchedule(float[] timesteps, float[] sigmas) {
    checkArgument(sigmas.length == timesteps.length + 1, "%s sigmas for %s timesteps; need one more sigma",
        sigmas.length, timesteps.length);
    this.timesteps = timesteps.clone();
    this.sigmas = sigmas.clone();
  }

  @Override
  public int numSteps() {
    return timesteps.length;
  }

  /** The timesteps, {@code N·σ_i} in float32 (n values; NaN where diffusers gives NaN). */
  public float[] timesteps() {
    return timesteps.clone();
  }

  /** The noise levels σ_0 … σ_n in float32, {@code σ_n = 0} (n + 1 values). */
  public float[] sigmas() {
    return sigmas.clone();
  }

  /** σ_i (0 ≤ i ≤ n; σ_n = 0). */
  public double sigma(int i) {
    checkArgument(i >= 0 && i <= timesteps.length, "sigma index %s outside [0, %s]", i, timesteps.length);
    return sigmas[i];
  }

  /** The timestep of step i. */
  public float timestep(int step) {
    checkArgument(step >= 0 && step < timesteps.length, "step %s outside [0, %s)", step, timesteps.length);
    return timesteps[step];
  }

  /** The model time of step i: its timestep {@code N·σ_i}. */
  @Override
  public double time(int step) {
    return timestep(step);
  }

  /**
   * diffusers' {@code index_for_timestep}: the index of {@code t} among the timesteps (exact float
   * equality); where it occurs more than once the second, as diffusers takes it.
   */
  public int indexForTimestep(float t) {
    int first = -1;
    for (int i = 0; i < timesteps.length; i++) {
      if (timesteps[i] == t) {
        if (first >= 0) {
          return i;
        }
        first = i;
      }
    }
    checkArgument(first >= 0, "timestep %s is not one of the schedule's %s", t, Arrays.toString(timesteps));
    return first;
  }

  /** {@code σ_i·ε + (1 − σ_i)·x₀} (DRaFT-LV's re-noising to step i's input level), in x₀'s type. */
  @Override
  public INDArray noiseTo(INDArray x0, int step, INDArray noise) {
    double s = sigma(step);
    checkArgument(step < timesteps.length, "step %s outside [0, %s)", step, timesteps.length);
    return noise.castTo(DataType.DOUBLE).mul(s).addi(x0.castTo(DataType.DOUBLE).mul(1 - s)).castTo(x0.dataType());
  }

  /** Whether every σ is finite (diffusers gives NaN for shift_terminal with one step). */
  boolean finite() {
    for (float s : sigmas) {
      if (!Float.isFinite(s)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FlowMatchSchedule f && Arrays.equals(timesteps, f.timesteps) && Arrays.equals(sigmas, f.sigmas);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(timesteps) + Arrays.hashCode(sigmas);
  }

  @Override
  public String toString() {
    return "FlowMatchSchedule(sigmas " + Arrays.toString(sigmas) + ")";
  }
}
