package org.draft4j.sampling;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Gradients;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Annealed importance guidance (NeMo-Aligner's AIG) as a {@link Denoiser} decorator: the output of
 * the adapted model blended with the same network's adapters off (the base model),
 * <pre>
 *   out = (1 − w)·f_base(x, t, c) + w·f_θ(x, t, c)
 * </pre>
 * at a weight w the {@link BlendSchedule} gives the step; a branch of weight 0 is not evaluated.
 * Its VJP for a cotangent u is {@code dL/dx = J_{base,x}ᵀ((1 − w)·u) + J_{θ,x}ᵀ(w·u)} and
 * {@code dL/dθ = J_θᵀ(w·u)} (θ does not enter the base branch). Put it outside
 * {@link ClassifierFreeGuidance} to blend the guided outputs.
 */
public final class AnnealedGuidance extends ForwardingDenoiser {
  private final double weight;

  /** Blends {@code model} with its adapters off at weight {@code weight} of the adapted model. */
  public AnnealedGuidance(Denoiser model, double weight) {
    super(model);
    checkArgument(Double.isFinite(weight), "blend weight %s must be finite", weight);
    this.weight = weight;
  }

  /** The decorator giving step i of n the weight {@code schedule.weight(i, n)}. */
  public static DenoiserDecorator decorator(BlendSchedule schedule) {
    checkArgument(schedule != null, "blend schedule must not be null (base, draft, linear, power_P, step_F)");
    return new DenoiserDecorator() {
      @Override
      public Denoiser decorate(Denoiser model, org.draft4j.spi.Conditioning cond, int step, int numSteps) {
        double w = schedule.weight(step, numSteps);
        checkArgument(Double.isFinite(w), "blend weight %s at step %s must be finite", w, (Object) step);
        return new AnnealedGuidance(model, w);
      }

      @Override
      public String toString() {
        return "blended(BlendSchedule)"; // a schedule is a lambda: its toString is not stable across runs
      }
    };
  }

  /** The weight of the adapted model. */
  public double weight() {
    return weight;
  }

  @Override
  public INDArray predict(INDArray sample, INDArray timesteps, INDArray context) {
    INDArray adapted = weight != 0 ? model.predict(sample, timesteps, context) : null;
    INDArray base = weight != 1 ? withAdaptersOff(() -> model.predict(sample, timesteps, context)) : null;
    if (base == null || adapted == null) {
      return base == null ? adapted : base;
    }
    INDArray out = base.mul(1 - weight).addi(adapted.mul(weight));
    Release.of(base, adapted);
    return out;
  }

  @Override
  public Vjp vjp(INDArray sample, INDArray timesteps, INDArray context, INDArray cotangent) {
    Gradients sum = Gradients.none();
    if (weight != 0) {
      INDArray u = cotangent.mul(weight);
      Vjp v = model.vjp(sample, timesteps, context, u);
      sum = sum.accumulate(new Gradients(v.sampleGrad(), v.paramGrads()));
      Release.of(u);
    }
    if (weight != 1) {
      INDArray u = cotangent.mul(1 - weight);
      Vjp v = withAdaptersOff(() -> model.vjp(sample, timesteps, context, u));
      sum = sum.accumulate(new Gradients(v.sampleGrad(), java.util.Map.of())); // θ does not enter the base
      v.paramGrads().values().forEach(Release::of);
      Release.of(u);
    }
    return new Vjp(sum.input(), sum.params());
  }

  private <T> T withAdaptersOff(java.util.function.Supplier<T> f) {
    boolean was = model.setAdaptersEnabled(false);
    try {
      return f.get();
    } finally {
      model.setAdaptersEnabled(was);
    }
  }

  @Override
  public String toString() {
    return "AnnealedGuidance(" + weight + ", " + model + ")";
  }
}
