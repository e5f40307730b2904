package org.draft4j.optim;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.engine.HostFloats;
import org.draft4j.io.Json;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An exponential moving average of parameters with diffusers' {@code EMAModel} semantics, as an
 * immutable value with explicit state ({@link #init}, {@link #update}), like {@link Optimizer}.
 * {@link #init} copies the parameters into the shadow; each {@link #update}, called after an
 * optimizer step, counts the update ({@code n ← n + 1}) and moves the shadow towards the parameters
 * with the decay {@code d = decayAt(n)}:
 *
 * <pre>
 *   s ← s − (1 − d)·(s − θ)          (= d·s + (1 − d)·θ, computed as diffusers does, in float)
 *
 *   decayAt(n) = 0                                          when k = max(0, n − update_after_step − 1) = 0
 *              = max(min_decay, min(decay, (1 + k)/(10 + k)))              otherwise, without warm-up
 *              = max(min_decay, min(decay, 1 − (1 + k/inv_gamma)^−power))  with {@link #warmup}
 * </pre>
 *
 * So the first {@code update_after_step + 1} updates copy the parameters into the shadow, and the
 * decay then rises towards {@code decay}: without warm-up 2/11, 3/12, ... (0.9 after 80 updates,
 * 0.999 after ~9,000); with warm-up (inv_gamma 1, power 2/3) 1 − 2^−2/3 ≈ 0.370, 1 − 3^−2/3 ≈ 0.519,
 * ... (0.999 after ~31,600 updates; power 3/4 reaches 0.9999 at ~215,000, as diffusers' docs
 * suggest for long runs). An immutable value: {@code Ema.decay(0.9999).updateAfterStep(100)}.
 */
public final class Ema {
  private final double decay;
  private final double minDecay;
  private final long updateAfterStep;
  private final boolean warmup;
  private final double invGamma;
  private final double power;

  private Ema(double decay, double minDecay, long updateAfterStep, boolean warmup, double invGamma, double power) {
    checkArgument(decay > 0 && decay < 1, "ema: decay = %s must be in (0, 1)", decay);
    checkArgument(minDecay >= 0 && minDecay <= decay, "ema: min_decay = %s must be in [0, decay = %s]", minDecay,
        decay);
    checkArgument(updateAfterStep >= 0, "ema: update_after_step = %s must be >= 0", updateAfterStep);
    checkArgument(invGamma > 0 && Double.isFinite(invGamma), "ema: inv_gamma = %s must be finite and > 0", invGamma);
    checkArgument(power > 0 && Double.isFinite(power), "ema: power = %s must be finite and > 0", power);
    this.decay = decay;
    this.minDecay = minDecay;
    this.updateAfterStep = updateAfterStep;
    this.warmup = warmup;
    this.invGamma = invGamma;
    this.power = power;
  }

  /**
   * An EMA with maximum decay {@code decay} (NeMo DRaFT+ uses 0.9999) and diffusers' other defaults:
   * min_decay 0, update_after_step 0, the {@code (1 + k)/(10 + k)} schedule (no warm-up).
   */
  public static Ema decay(double decay) {
    return new Ema(decay, 0.0, 0, false, 1.0, 2.0 / 3.0);
  }

  /** The smallest decay once averaging has begun (diffusers' {@code min_decay}, default 0). */
  public Ema minDecay(double minDecay) {
    return new Ema(decay, minDecay, updateAfterStep, warmup, invGamma, power);
  }

  /** Updates during which the shadow only copies the parameters: the first {@code n + 1} (default 0: the first). */
  public Ema updateAfterStep(long n) {
    return new Ema(decay, minDecay, n, warmup, invGamma, power);
  }

  /**
   * The warm-up schedule {@code 1 − (1 + k/invGamma)^−power} instead of {@code (1 + k)/(10 + k)}
   * (diffusers' {@code use_ema_warmup=True}; its defaults are inv_gamma 1, power 2/3).
   */
  public Ema warmup(double invGamma, double power) {
    return new Ema(decay, minDecay, updateAfterStep, true, invGamma, power);
  }

  /** The decay of the {@code n}-th update (1-based; diffusers' {@code get_decay(optimization_step)}). */
  public double decayAt(long n) {
    checkArgument(n >= 1, "ema: update number = %s must be >= 1", n);
    long k = Math.max(0, n - updateAfterStep - 1);
    if (k == 0) {
      return 0.0;
    }
    double d = warmup ? 1 - Math.pow(1 + k / invGamma, -power) : (1.0 + k) / (10.0 + k);
    return Math.max(Math.min(d, decay), minDecay);
  }

  /** A fresh state: the shadow a copy of the parameters, no update counted. */
  public EmaState init(Map<String, INDArray> params) {
    EmaState s = new EmaState();
    params.forEach((k, v) -> s.shadow().put(k, v.dup('c')));
    return s;
  }

  /**
   * Counts one update and moves every shadow towards its parameter: {@code s ← s − (1 − d)·(s − θ)}
   * with {@code d = decayAt(state.step() + 1)}, element by element in the parameters' type (for
   * float, {@code 1 − d} rounded to float, each operation rounded as PyTorch's {@code
   * s.sub_(one_minus_decay * (s - p))} rounds it). Returns d.
   *
   * @throws IllegalArgumentException naming a parameter without a shadow or of another shape
   */
  public double update(EmaState state, Map<String, INDArray> params) {
    checkArgument(state.shadow().keySet().equals(params.keySet()), "ema: parameters %s differ from the shadow's %s",
        params.keySet(), state.shadow().keySet());
    long n = state.step() + 1;
    double d = decayAt(n);
    float[][] buf = null;
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      INDArray p = e.getValue();
      INDArray s = state.shadow().get(e.getKey());
      checkArgument(Arrays.equals(p.shape(), s.shape()), "ema: %s has shape %s, its shadow %s", e.getKey(),
          Arrays.toString(p.shape()), Arrays.toString(s.shape()));
      if (HostFloats.supported(p) && HostFloats.supported(s)) {
        if (buf == null) {
          buf = new float[2][HostFloats.CHUNK];
        }
        float c = (float) (1 - d);
        HostFloats.update((chunks, len) -> {
          float[] sc = chunks[0];
          float[] pc = chunks[1];
          for (int i = 0; i < len; i++) {
            sc[i] = sc[i] - c * (sc[i] - pc[i]);
          }
        }, buf, 1, s, p);
      } else {
        s.subi(s.sub(p.castTo(s.dataType())).muli(1 - d));
      }
    }
    state.setStep(n);
    return d;
  }

  /**
   * The hyperparameters as a record; {@code invGamma} and {@code power} are null without warm-up
   * (they do not change the result then, so a resume does not compare them).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Config(double decay, @JsonProperty("min_decay") double minDecay,
      @JsonProperty("update_after_step") long updateAfterStep, @JsonProperty("use_ema_warmup") boolean useEmaWarmup,
      @JsonProperty("inv_gamma") Double invGamma, Double power) {
    /** The EMA these hyperparameters describe. */
    public Ema ema() {
      Ema e = Ema.decay(decay).minDecay(minDecay).updateAfterStep(updateAfterStep);
      return useEmaWarmup ? e.warmup(invGamma, power) : e;
    }
  }

  /** The hyperparameters as a typed value. */
  public Config hyperparameters() {
    return new Config(decay, minDecay, updateAfterStep, warmup, warmup ? invGamma : null, warmup ? power : null);
  }

  /** The hyperparameters as JSON-ready values, for provenance and resume checks ({@code {"ema":"diffusers", ...}}). */
  @SuppressWarnings("unchecked")
  public Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ema", "diffusers");
    m.putAll(Json.mapper().convertValue(hyperparameters(), LinkedHashMap.class));
    return m;
  }

  @Override
  public String toString() {
    return config().toString();
  }
}
