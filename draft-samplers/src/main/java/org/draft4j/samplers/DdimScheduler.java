package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * diffusers' DDIMScheduler as stateless math (all in float64, applied to float32 arrays).
 *
 * <p>With {@code ᾱ_t = Π(1-β_s)}, {@code t' = t - T/n} and {@code ᾱ_{t'}} (or the final alpha when
 * {@code t' < 0}), one step is:
 * <pre>
 *   x̂₀  = (x_t - √(1-ᾱ_t)·ε) / √ᾱ_t                          (epsilon; v and sample analogously)
 *   σ_t = η · √((1-ᾱ_{t'})/(1-ᾱ_t)) · √(1 - ᾱ_t/ᾱ_{t'})
 *   x_{t'} = √ᾱ_{t'}·x̂₀ + √(1-ᾱ_{t'}-σ_t²)·ε + σ_t·z
 * </pre>
 * Without clipping a step is affine in (x_t, model output): {@code x_{t'} = cx·x_t + co·out + σ_t·z}
 * and {@code x̂₀ = px·x_t + po·out}, which is what the differentiable chain uses for its
 * vector-Jacobian products ({@link Coefficients}).
 */
public final class DdimScheduler {
  private final DdimSchedulerConfig config;
  private final double[] alphasCumprod;
  private final double finalAlphaCumprod;

  public DdimScheduler(DdimSchedulerConfig config) {
    this.config = config;
    int n = config.numTrainTimesteps();
    double[] betas = betas(config);
    if (config.rescaleBetasZeroSnr()) {
      betas = rescaleZeroTerminalSnr(betas);
    }
    alphasCumprod = new double[n];
    double p = 1;
    for (int i = 0; i < n; i++) {
      p *= 1 - betas[i];
      alphasCumprod[i] = p;
    }
    finalAlphaCumprod = config.setAlphaToOne() ? 1.0 : alphasCumprod[0];
  }

  public DdimSchedulerConfig config() {
    return config;
  }

  /** β schedule: linear, scaled_linear (linear in √β) or squaredcos_cap_v2 (Nichol & Dhariwal, capped at 0.999). */
  static double[] betas(DdimSchedulerConfig c) {
    int n = c.numTrainTimesteps();
    double[] b = new double[n];
    switch (c.betaSchedule()) {
      case "linear" -> {
        for (int i = 0; i < n; i++) {
          b[i] = n == 1 ? c.betaStart() : c.betaStart() + (c.betaEnd() - c.betaStart()) * i / (n - 1);
        }
      }
      case "scaled_linear" -> {
        double s = Math.sqrt(c.betaStart());
        double e = Math.sqrt(c.betaEnd());
        for (int i = 0; i < n; i++) {
          double v = n == 1 ? s : s + (e - s) * i / (n - 1);
          b[i] = v * v;
        }
      }
      case "squaredcos_cap_v2" -> {
        for (int i = 0; i < n; i++) {
          double t1 = (double) i / n;
          double t2 = (double) (i + 1) / n;
          b[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
        }
      }
      default -> throw new IllegalArgumentException("beta_schedule " + c.betaSchedule());
    }
    return b;
  }

  /**
   * diffusers' {@code rescale_zero_terminal_snr}: with {@code s = √ᾱ}, {@code s ← (s − s_T)·s_0/(s_0 − s_T)},
   * then {@code β_0 = 1 − s_0²} and {@code β_t = 1 − s_t²/s_{t−1}²}, so {@code ᾱ_T = 0} and {@code β_T = 1}.
   */
  static double[] rescaleZeroTerminalSnr(double[] betas) {
    int n = betas.length;
    double[] s = new double[n];
    double p = 1;
    for (int i = 0; i < n; i++) {
      p *= 1 - betas[i];
      s[i] = Math.sqrt(p);
    }
    double s0 = s[0];
    double sT = s[n - 1];
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      double v = (s[i] - sT) * s0 / (s0 - sT);
      a[i] = v * v;
    }
    double[] out = new double[n];
    out[0] = 1 - a[0];
    for (int i = 1; i < n; i++) {
      out[i] = 1 - a[i] / a[i - 1];
    }
    return out;
  }

  private static double alphaBar(double t) {
    double v = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
    return v * v;
  }

  /** β_t. */
  public double beta(int t) {
    return 1 - alphasCumprod[t] / (t == 0 ? 1 : alphasCumprod[t - 1]);
  }

  /** ᾱ_t; for t &lt; 0 the final alpha (1 with set_alpha_to_one, else ᾱ_0). */
  public double alphaCumprod(int t) {
    checkTimestep(t, true);
    return t < 0 ? finalAlphaCumprod : alphasCumprod[t];
  }

  private void checkTimestep(int t, boolean allowNegative) {
    checkArgument(t < config.numTrainTimesteps() && (allowNegative || t >= 0),
        "timestep %s outside [0, %s)", t, config.numTrainTimesteps());
  }

  /**
   * Timesteps of {@code set_timesteps(n)}, first to last. leading: {@code (0..n-1)·(T//n)} reversed +
   * offset; trailing: {@code round(T - i·T/n) - 1}; linspace: {@code round(linspace(0, T-1, n))} reversed.
   */
  public int[] timesteps(int n) {
    int T = config.numTrainTimesteps();
    checkArgument(n >= 1 && n <= T, "num_inference_steps = %s must be in [1, num_train_timesteps = %s]", n, T);
    int[] ts = new int[n];
    switch (config.timestepSpacing()) {
      case "leading" -> {
        int ratio = T / n;
        for (int i = 0; i < n; i++) {
          ts[i] = (n - 1 - i) * ratio + config.stepsOffset();
        }
      }
      case "trailing" -> {
        double ratio = (double) T / n;
        for (int i = 0; i < n; i++) {
          ts[i] = (int) Math.round(T - i * ratio) - 1;
        }
      }
      case "linspace" -> {
        for (int i = 0; i < n; i++) {
          double v = n == 1 ? 0 : (double) (T - 1) * (n - 1 - i) / (n - 1);
          ts[i] = (int) Math.rint(v);
        }
      }
      default -> throw new IllegalStateException(config.timestepSpacing());
    }
    for (int t : ts) {
      checkArgument(t < T, "timestep %s from spacing %s with steps_offset %s reaches num_train_timesteps %s", t,
          config.timestepSpacing(), config.stepsOffset(), T);
    }
    return ts;
  }

  /** {@code t - T/n} (integer division), as diffusers' DDIM step. */
  public int prevTimestep(int t, int n) {
    return t - config.numTrainTimesteps() / n;
  }

  /** σ_t² = (1-ᾱ_{t'})/(1-ᾱ_t) · (1 - ᾱ_t/ᾱ_{t'}). */
  public double variance(int t, int prevT) {
    double a = alphaCumprod(t);
    double ap = alphaCumprod(prevT);
    return (1 - ap) / (1 - a) * (1 - a / ap);
  }

  /**
   * Affine coefficients of one step from t to prevT with the given eta:
   * {@code x_{t'} = cx·x_t + co·out + std·z}, {@code x̂₀ = px·x_t + po·out}.
   */
  public record Coefficients(double cx, double co, double px, double po, double std) {}

  /** The coefficients of a step (see the class comment). */
  public Coefficients coefficients(int t, int prevT, double eta) {
    checkArgument(eta >= 0 && Double.isFinite(eta), "eta = %s must be finite and >= 0", eta);
    checkTimestep(t, false);
    double a = alphaCumprod(t);
    double ap = alphaCumprod(prevT);
    double b = 1 - a;
    double std = eta * Math.sqrt(variance(t, prevT));
    double dir = Math.sqrt(Math.max(0, 1 - ap - std * std));
    double sa = Math.sqrt(a);
    double sb = Math.sqrt(b);
    double sap = Math.sqrt(ap);
    // x̂₀ = px x + po out ; ε̂ = ex x + eo out ; x' = √ᾱ' x̂₀ + dir ε̂
    double px;
    double po;
    double ex;
    double eo;
    switch (config.predictionType()) {
      case "epsilon" -> {
        px = 1 / sa;
        po = -sb / sa;
        ex = 0;
        eo = 1;
      }
      case "v_prediction" -> {
        px = sa;
        po = -sb;
        ex = sb;
        eo = sa;
      }
      case "sample" -> {
        px = 0;
        po = 1;
        ex = 1 / sb;
        eo = -sa / sb;
      }
      default -> throw new IllegalStateException(config.predictionType());
    }
    return new Coefficients(sap * px + dir * ex, sap * po + dir * eo, px, po, std);
  }

  /** Result of {@link #step}. */
  public record StepOutput(INDArray prevSample, INDArray predOriginalSample) {}

  /**
   * One DDIM step, diffusers' {@code DDIMScheduler.step}, including {@code clip_sample}.
   *
   * @param noise the variance noise z (required when eta &gt; 0, ignored otherwise)
   */
  public StepOutput step(INDArray modelOutput, int t, int prevT, INDArray sample, double eta, INDArray noise) {
    Coefficients c = coefficients(t, prevT, eta);
    INDArray x = sample.castTo(DataType.DOUBLE);
    INDArray out = modelOutput.castTo(DataType.DOUBLE);
    INDArray x0 = x.mul(c.px()).addi(out.mul(c.po()));
    INDArray prev;
    if (config.clipSample()) {
      double r = config.clipSampleRange();
      x0 = Transforms.min(Transforms.max(x0, -r, false), r, false);
      // recompute ε̂ from the clipped x̂₀ and recombine, as diffusers does
      double ap = alphaCumprod(prevT);
      INDArray eps = epsilonFrom(x, out, t);
      double dir = Math.sqrt(Math.max(0, 1 - ap - c.std() * c.std()));
      prev = x0.mul(Math.sqrt(ap)).addi(eps.mul(dir));
    } else {
      prev = x.mul(c.cx()).addi(out.mul(c.co()));
    }
    if (c.std() > 0) {
      checkArgument(noise != null, "eta = %s > 0 needs variance noise", eta);
      prev.addi(noise.castTo(DataType.DOUBLE).mul(c.std()));
    }
    DataType dt = sample.dataType();
    return new StepOutput(prev.castTo(dt), x0.castTo(dt));
  }

  private INDArray epsilonFrom(INDArray x, INDArray out, int t) {
    double a = alphaCumprod(t);
    double sa = Math.sqrt(a);
    double sb = Math.sqrt(1 - a);
    return switch (config.predictionType()) {
      case "epsilon" -> out;
      case "v_prediction" -> out.mul(sa).addi(x.mul(sb));
      default -> x.sub(out.mul(sa)).divi(sb);
    };
  }

  /** diffusers' {@code add_noise}: {@code √ᾱ_t·x₀ + √(1-ᾱ_t)·ε}. */
  public INDArray addNoise(INDArray x0, INDArray noise, int t) {
    checkTimestep(t, false);
    double a = alphasCumprod[t];
    return x0.castTo(DataType.DOUBLE).mul(Math.sqrt(a)).addi(noise.castTo(DataType.DOUBLE).mul(Math.sqrt(1 - a)))
        .castTo(x0.dataType());
  }

  /** diffusers' {@code get_velocity}: {@code v = √ᾱ_t·ε - √(1-ᾱ_t)·x₀}. */
  public INDArray velocity(INDArray x0, INDArray noise, int t) {
    checkTimestep(t, false);
    double a = alphasCumprod[t];
    return noise.castTo(DataType.DOUBLE).mul(Math.sqrt(a)).subi(x0.castTo(DataType.DOUBLE).mul(Math.sqrt(1 - a)))
        .castTo(x0.dataType());
  }
}
