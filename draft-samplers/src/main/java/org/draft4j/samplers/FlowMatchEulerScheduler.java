package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * diffusers' {@code FlowMatchEulerDiscreteScheduler} (v0.35.2) as stateless math, rounding to
 * float32 where diffusers does. Rectified flow interpolates {@code x_σ = σ·ε + (1 − σ)·x₀} between
 * data (σ = 0) and noise (σ = 1); the model predicts the velocity {@code v ≈ ε − x₀} and sampling
 * integrates {@code dx/dσ = v} from σ = 1 to 0. With N = {@code num_train_timesteps}:
 * <ul>
 *   <li>training sigmas {@code s_k = k/N}, k = N…1, shifted statically unless dynamic shifting is
 *       on: {@code σ′ = s·σ/(1 + (s − 1)·σ)} (float32); {@code sigma_max = σ′(1) = 1},
 *       {@code sigma_min = σ′(1/N)};</li>
 *   <li>{@link #setTimesteps(int)}: {@code σ_i = linspace(N·sigma_max, N·sigma_min, n)/N} (float64),
 *       shifted again: statically as above, or with μ ({@link #setTimesteps(int, double)})
 *       {@code σ′ = e^μ/(e^μ + (1/σ − 1))} ({@code time_shift_type} exponential) or
 *       {@code σ′ = μ/(μ + (1/σ − 1))} (linear); given sigmas ({@link #setTimesteps(double[], Double)},
 *       FLUX's {@code linspace(1, 1/n, n)}) are rounded to float32 and shifted in float32;</li>
 *   <li>{@code shift_terminal} T: {@code z = 1 − σ′}, {@code σ″ = 1 − z/(z_{n−1}/(1 − T))}, so the
 *       last level is T (NaN for n = 1, as in diffusers);</li>
 *   <li>sigmas rounded to float32, timesteps {@code t_i = N·σ_i} in float32, and {@code σ_n = 0}
 *       appended;</li>
 *   <li>{@link #step}: the Euler step {@code x_{i+1} = x_i + (σ_{i+1} − σ_i)·v}; with
 *       {@code stochastic_sampling} ({@link #stochasticStep}) {@code x̂₀ = x_i − σ_i·v},
 *       {@code x_{i+1} = (1 − σ_{i+1})·x̂₀ + σ_{i+1}·z};</li>
 *   <li>{@link #scaleNoise}: {@code x_σ = σ·noise + (1 − σ)·x₀};</li>
 *   <li>FLUX's {@code calculate_shift} ({@link #calculateShift(int)}): μ linear in the image's
 *       token count, {@code m = (max_shift − base_shift)/(max_seq − base_seq)},
 *       {@code μ = base_shift + m·(seq − base_seq)}.</li>
 * </ul>
 * diffusers' step counter ({@code step_index}) is the explicit step index here.
 */
public final class FlowMatchEulerScheduler {
  private final FlowMatchSchedulerConfig config;
  private final float[] trainSigmas;

  public FlowMatchEulerScheduler(FlowMatchSchedulerConfig config) {
    checkArgument(config != null, "a flow-matching scheduler needs a config");
    this.config = config;
    int n = config.numTrainTimesteps();
    trainSigmas = new float[n];
    float shift = (float) config.shift();
    float shiftMinusOne = (float) (config.shift() - 1);
    for (int i = 0; i < n; i++) {
      float s = (float) (n - i) / (float) n; // torch float32: linspace(1, N, N)[::-1] / N
      trainSigmas[i] = config.useDynamicShifting() ? s : shift * s / (1f + shiftMinusOne * s);
    }
  }

  public FlowMatchSchedulerConfig config() {
    return config;
  }

  /** The training noise levels σ′(k/N), k = N…1, in float32 (shifted unless dynamic shifting is on). */
  public float[] trainSigmas() {
    return trainSigmas.clone();
  }

  /** diffusers' {@code sigma_max}: the first training sigma (1). */
  public double sigmaMax() {
    return trainSigmas[0];
  }

  /** diffusers' {@code sigma_min}: the last training sigma, σ′(1/N). */
  public double sigmaMin() {
    return trainSigmas[trainSigmas.length - 1];
  }

  /** {@code set_timesteps(n)}: n levels from sigma_max to sigma_min, statically shifted. */
  public FlowMatchSchedule setTimesteps(int n) {
    checkArgument(!config.useDynamicShifting(), "use_dynamic_shifting = true needs mu: call setTimesteps(n, mu) with"
        + " mu = calculateShift(imageSeqLen)");
    return setTimesteps(n, null, null);
  }

  /** {@code set_timesteps(n, mu=μ)}: as {@link #setTimesteps(int)}, the dynamic shift at μ (where it is on). */
  public FlowMatchSchedule setTimesteps(int n, double mu) {
    return setTimesteps(n, null, mu);
  }

  /**
   * {@code set_timesteps(sigmas=σ, mu=μ)}: the given levels (rounded to float32, in order, one per
   * step) in place of the linspace, then shifted as configured (in float32, as numpy computes on
   * them); {@code mu} may be null unless dynamic shifting is on.
   */
  public FlowMatchSchedule setTimesteps(double[] sigmas, Double mu) {
    checkArgument(sigmas != null && sigmas.length >= 1, "custom sigmas need at least one level");
    return setTimesteps(sigmas.length, sigmas, mu);
  }

  private FlowMatchSchedule setTimesteps(int n, double[] custom, Double mu) {
    checkArgument(n >= 1, "num_inference_steps = %s must be >= 1", n);
    checkArgument(!config.useDynamicShifting() || mu != null,
        "use_dynamic_shifting = true needs mu (calculateShift(imageSeqLen) gives FLUX's)");
    checkArgument(mu == null || Double.isFinite(mu), "mu = %s must be finite", mu);
    int bigN = config.numTrainTimesteps();
    float[] f32 = new float[n];
    if (custom == null) {
      double[] s = linspace(sigmaMax() * bigN, sigmaMin() * bigN, n);
      for (int i = 0; i < n; i++) {
        s[i] /= bigN;
      }
      s = shift64(s, mu);
      Double terminal = config.shiftTerminal();
      if (terminal != null && terminal != 0) {
        double scale = (1 - s[n - 1]) / (1 - terminal);
        for (int i = 0; i < n; i++) {
          s[i] = 1 - (1 - s[i]) / scale;
        }
      }
      for (int i = 0; i < n; i++) {
        f32[i] = (float) s[i];
      }
    } else {
      for (int i = 0; i < n; i++) {
        checkArgument(Double.isFinite(custom[i]), "custom sigma %s at %s must be finite", custom[i], (Object) i);
        f32[i] = (float) custom[i];
      }
      shift32(f32, mu);
      Double terminal = config.shiftTerminal();
      if (terminal != null && terminal != 0) {
        float scale = (float) ((double) (1f - f32[n - 1]) / (1 - terminal)); // float32 scalar / Python float: float64
        for (int i = 0; i < n; i++) {
          f32[i] = 1f - (1f - f32[i]) / scale;
        }
      }
    }
    float[] timesteps = new float[n];
    float[] sigmas = new float[n + 1];
    for (int i = 0; i < n; i++) {
      sigmas[i] = f32[i];
      timesteps[i] = f32[i] * (float) bigN;
    }
    sigmas[n] = 0f;
    return new FlowMatchSchedule(timesteps, sigmas);
  }

  /** numpy's {@code linspace(start, stop, n)}: {@code start + i·step}, the last exactly {@code stop}. */
  static double[] linspace(double start, double stop, int n) {
    double[] y = new double[n];
    if (n == 1) {
      y[0] = start;
      return y;
    }
    double step = (stop - start) / (n - 1);
    for (int i = 0; i < n; i++) {
      y[i] = i * step + start;
    }
    y[n - 1] = stop;
    return y;
  }

  private double[] shift64(double[] s, Double mu) {
    double[] out = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      if (config.useDynamicShifting()) {
        double r = 1 / s[i] - 1;
        if (config.timeShiftType().equals("exponential")) {
          double e = Math.exp(mu);
          out[i] = e / (e + r);
        } else {
          out[i] = mu / (mu + r);
        }
      } else {
        double sh = config.shift();
        out[i] = sh * s[i] / (1 + (sh - 1) * s[i]);
      }
    }
    return out;
  }

  private void shift32(float[] s, Double mu) {
    for (int i = 0; i < s.length; i++) {
      if (config.useDynamicShifting()) {
        float r = 1f / s[i] - 1f;
        float m = config.timeShiftType().equals("exponential") ? (float) Math.exp(mu) : (float) (double) mu;
        s[i] = m / (m + r);
      } else {
        float sh = (float) config.shift();
        s[i] = sh * s[i] / (1f + (float) (config.shift() - 1) * s[i]);
      }
    }
  }

  /** FLUX's custom sigmas: numpy's {@code linspace(1.0, 1/n, n)} (the FLUX pipeline's default). */
  public static double[] fluxSigmas(int n) {
    checkArgument(n >= 1, "num_inference_steps = %s must be >= 1", n);
    return linspace(1.0, 1.0 / n, n);
  }

  /**
   * FLUX's {@code calculate_shift}: {@code m = (maxShift − baseShift)/(maxSeqLen − baseSeqLen)},
   * {@code b = baseShift − m·baseSeqLen}, {@code μ = imageSeqLen·m + b}.
   */
  public static double calculateShift(int imageSeqLen, int baseSeqLen, int maxSeqLen, double baseShift,
      double maxShift) {
    checkArgument(maxSeqLen != baseSeqLen, "max_seq_len = %s must differ from base_seq_len = %s", maxSeqLen,
        baseSeqLen);
    double m = (maxShift - baseShift) / (maxSeqLen - baseSeqLen);
    double b = baseShift - m * baseSeqLen;
    return imageSeqLen * m + b;
  }

  /**
   * μ for an image of {@code imageSeqLen} tokens with this config's {@code base_image_seq_len},
   * {@code max_image_seq_len}, {@code base_shift} and {@code max_shift}, as the FLUX pipeline calls
   * it (FLUX: {@code (H/16)·(W/16)} tokens for an H×W image; 1024² → 4096 → μ = 1.15).
   */
  public double calculateShift(int imageSeqLen) {
    return config.calculateShift(imageSeqLen);
  }

  /**
   * diffusers' {@code scale_noise} with a timestep per batch item: {@code σ_b·noise + (1 − σ_b)·x₀},
   * {@code σ_b} the level at the index of {@code timesteps[b]} ({@link FlowMatchSchedule#indexForTimestep}),
   * in float32.
   */
  public INDArray scaleNoise(FlowMatchSchedule schedule, INDArray sample, float[] timesteps, INDArray noise) {
    checkArgument(timesteps.length == sample.size(0), "%s timesteps for a batch of %s", timesteps.length,
        sample.size(0));
    int[] idx = new int[timesteps.length];
    for (int b = 0; b < idx.length; b++) {
      idx[b] = schedule.indexForTimestep(timesteps[b]);
    }
    return scaleNoise(schedule, sample, idx, noise);
  }

  /**
   * {@code scale_noise} after {@code set_begin_index(index)} (SD3's img2img): every item at
   * {@code σ_index}.
   */
  public INDArray scaleNoise(FlowMatchSchedule schedule, INDArray sample, int index, INDArray noise) {
    int[] idx = new int[(int) sample.size(0)];
    java.util.Arrays.fill(idx, index);
    return scaleNoise(schedule, sample, idx, noise);
  }

  private static INDArray scaleNoise(FlowMatchSchedule schedule, INDArray sample, int[] idx, INDArray noise) {
    checkArgument(java.util.Arrays.equals(sample.shape(), noise.shape()), "noise shape %s differs from sample's %s",
        java.util.Arrays.toString(noise.shape()), java.util.Arrays.toString(sample.shape()));
    INDArray x = sample.castTo(DataType.FLOAT);
    INDArray e = noise.castTo(DataType.FLOAT);
    INDArray out = Nd4j.create(DataType.FLOAT, sample.shape());
    for (int b = 0; b < idx.length; b++) {
      float s = (float) schedule.sigma(idx[b]);
      INDArray xb = x.get(NDArrayIndex.point(b));
      INDArray eb = e.get(NDArrayIndex.point(b));
      out.get(NDArrayIndex.point(b)).assign(eb.mul(s).addi(xb.mul(1f - s)));
    }
    return out.castTo(sample.dataType());
  }

  /**
   * diffusers' {@code step} at step index i: {@code x_{i+1} = x_i + (σ_{i+1} − σ_i)·v}, the sample
   * upcast to float32, {@code dt} and the update in float32, the result in the model output's type.
   */
  public INDArray step(FlowMatchSchedule schedule, int i, INDArray modelOutput, INDArray sample) {
    checkArgument(i >= 0 && i < schedule.numSteps(), "step %s outside [0, %s)", i, schedule.numSteps());
    float dt = (float) schedule.sigma(i + 1) - (float) schedule.sigma(i);
    INDArray v = modelOutput.castTo(DataType.FLOAT);
    return sample.castTo(DataType.FLOAT).add(v.mul(dt)).castTo(modelOutput.dataType());
  }

  /**
   * diffusers' {@code step} with {@code stochastic_sampling}: {@code x̂₀ = x_i − σ_i·v},
   * {@code x_{i+1} = (1 − σ_{i+1})·x̂₀ + σ_{i+1}·noise} (float32), with the caller's standard-normal
   * {@code noise} in place of diffusers' {@code randn_like}.
   */
  public INDArray stochasticStep(FlowMatchSchedule schedule, int i, INDArray modelOutput, INDArray sample,
      INDArray noise) {
    checkArgument(i >= 0 && i < schedule.numSteps(), "step %s outside [0, %s)", i, schedule.numSteps());
    float s = (float) schedule.sigma(i);
    float next = (float) schedule.sigma(i + 1);
    INDArray x0 = sample.castTo(DataType.FLOAT).sub(modelOutput.castTo(DataType.FLOAT).mul(s));
    return x0.muli(1f - next).addi(noise.castTo(DataType.FLOAT).mul(next)).castTo(modelOutput.dataType());
  }
}
