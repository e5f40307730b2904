package org.draft4j.sampling;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.SamplingSchedule;
import org.draft4j.spi.Span;
import org.draft4j.spi.StepListener;
import org.draft4j.spi.StepPenalty;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A sampling chain written once over a {@link StepRule}, as an immutable value:
 * {@code Chain.of(rule).guided(7.5)}. Step i evaluates the decorated model
 * {@code out_i = f̃(x_i, t_i, c)} (the caller's model through each {@link DenoiserDecorator},
 * first added innermost, at the schedule's time {@code t_i}) and takes the rule's step
 * {@code x_{i+1} = a_i·x_i + b_i·out_i + c_i·z_i}, {@code z_i} standard-normal noise drawn per
 * sample from its seed and the step (so a sample's noise does not depend on its batch position);
 * a span ending in the predicted sample reads out {@code x̂₀ = p·x + q·out} (in the state's type).
 *
 * <p>Gradients ({@link Trajectory#backward}): a rollout keeps the inputs of its differentiated
 * steps; the backward walks them last to first, recomputing each step's activations from its
 * input, and given {@code g = dL/dy} of step i's output y returns
 * {@code dL/dx_i = a·g + J_xᵀ(b·g + π_i)} and adds {@code dL/dθ = J_θᵀ(b·g + π_i)}, with
 * {@code (p, q)} for the read-out and {@code π_i} a {@link StepPenalty}'s cotangent (DRaFT+'s KL
 * term, whose reference is the same decorated model with adapters off). Memory holds one state per
 * differentiated step and one step's activations.
 */
public final class Chain implements Sampler {
  private static final long NOISE_PURPOSE = 0x5EED_0000L;
  private final StepRule rule;
  private final List<DenoiserDecorator> decorators;

  private Chain(StepRule rule, List<DenoiserDecorator> decorators) {
    checkArgument(rule != null, "a chain needs a step rule");
    this.rule = rule;
    this.decorators = List.copyOf(decorators);
  }

  /** The chain of {@code rule} evaluating the caller's model undecorated. */
  public static Chain of(StepRule rule) {
    return new Chain(rule, List.of());
  }

  /** This chain with {@code decorator} added around its current model (outermost; each call adds one). */
  public Chain decorated(DenoiserDecorator decorator) {
    checkArgument(decorator != null, "decorator must not be null");
    List<DenoiserDecorator> d = new ArrayList<>(decorators);
    d.add(decorator);
    return new Chain(rule, d);
  }

  /** This chain with classifier-free guidance at {@code scale} added (1: conditional only). */
  public Chain guided(double scale) {
    return decorated(ClassifierFreeGuidance.decorator(scale));
  }

  /**
   * This chain with annealed importance guidance added outside the decorators so far, blending base
   * and adapted model by {@code schedule}: {@code (1 − w_i)·out_base + w_i·out_adapted}.
   */
  public Chain blended(BlendSchedule schedule) {
    return decorated(AnnealedGuidance.decorator(schedule));
  }

  /** The step rule. */
  public StepRule rule() {
    return rule;
  }

  @Override
  public SamplingSchedule schedule() {
    return rule.schedule();
  }

  /** The model step {@code step} evaluates: {@code model} through the decorators, for this batch. */
  public Denoiser denoiser(Denoiser model, Conditioning c, int step) {
    Denoiser d = model;
    for (DenoiserDecorator dec : decorators) {
      d = dec.decorate(d, c, step, numSteps());
    }
    return d;
  }

  /** The decorated (guided) model output at step {@code step} for input x. */
  public INDArray guidedOutput(Denoiser model, Conditioning c, INDArray x, int step) {
    return output(denoiser(model, c, step), c, x, step);
  }

  private INDArray times(long batch, int step) {
    return Nd4j.valueArrayOf(new long[] {batch}, (float) schedule().time(step), DataType.FLOAT);
  }

  private INDArray output(Denoiser den, Conditioning c, INDArray x, int step) {
    long b = x.size(0);
    checkArgument(c.batch() == b, "conditioning batch %s differs from sample batch %s", c.batch(), b);
    INDArray ts = times(b, step);
    INDArray out = den.predict(x, ts, c.cond());
    Release.of(ts);
    if (out.isNaN().any() || out.isInfinite().any()) {
      double t = schedule().time(step);
      throw new ArithmeticException("model output at step " + step + " (timestep "
          + (t == Math.rint(t) && Math.abs(t) < 1e15 ? Long.toString((long) t) : Double.toString(t))
          + ") contains NaN or Inf; check the model weights, the input scale and the learning rate");
    }
    return out;
  }

  @Override
  public Trajectory rollout(Denoiser model, Conditioning c, INDArray x, long[] seeds, Span span) {
    return rollout(model, c, x, seeds, span, null);
  }

  /** Full no-gradient sampling x_T → x_0 with a progress listener (or null). */
  public INDArray sample(Denoiser model, Conditioning c, INDArray xT, long[] seeds, StepListener listener) {
    return rollout(model, c, xT, seeds, Span.all(numSteps()), listener).output();
  }

  /** As {@link #rollout(Denoiser, Conditioning, INDArray, long[], Span)}, with a progress listener (or null). */
  public Trajectory rollout(Denoiser model, Conditioning c, INDArray x, long[] seeds, Span span,
      StepListener listener) {
    int n = numSteps();
    checkArgument(span.to() <= n, "span steps [%s, %s) outside the sampler's [0, %s)", span.from(), span.to(), n);
    checkArgument(seeds != null && seeds.length == x.size(0), "need one seed per sample (%s), got %s", x.size(0),
        seeds == null ? 0 : seeds.length);
    List<INDArray> kept = new ArrayList<>();
    INDArray cur = x;
    int last = span.predictX0() ? span.to() - 1 : span.to();
    for (int i = span.from(); i < last; i++) {
      if (i >= span.differentiateFrom()) {
        kept.add(cur);
      }
      StepCoefficients k = rule.coefficients(i);
      INDArray out = guidedOutput(model, c, cur, i);
      long[] sh = cur.shape();
      INDArray z = k.c() != 0 ? NoiseSource.batch(seeds, NOISE_PURPOSE + i, sh[1], sh[2], sh[3])
          .castTo(cur.dataType()) : null;
      INDArray next = rule.advance(i, k, cur, out, z);
      Release.of(out, z);
      if (cur != x && i < span.differentiateFrom()) {
        Release.of(cur); // neither the caller's input nor kept for the backward pass
      }
      cur = next;
      if (listener != null) {
        listener.onStep(i, n);
      }
    }
    if (span.predictX0()) {
      if (last >= span.differentiateFrom()) {
        kept.add(cur);
      }
      StepCoefficients k = rule.coefficients(last);
      INDArray out = guidedOutput(model, c, cur, last);
      INDArray x0 = cur.mul(k.p()).addi(out.mul(k.q()));
      Release.of(out);
      if (cur != x && last < span.differentiateFrom()) {
        Release.of(cur);
      }
      cur = x0;
      if (listener != null) {
        listener.onStep(last, n);
      }
    }
    return new ChainTrajectory(this, model, c, span, List.copyOf(kept), cur);
  }

  /**
   * The backward of step {@code step} given {@code g = dL/dy} of its output {@code y = a·x + b·out}
   * (the next state, or x̂₀ with (p, q) for the read-out): {@code dL/dx = a·g + J_xᵀ(b·g + π)},
   * with {@code dL/dθ = J_θᵀ(b·g + π)} returned beside it.
   */
  Gradients backwardStep(Denoiser model, Conditioning c, INDArray x, int step, INDArray g, boolean readOut,
      StepPenalty penalty) {
    rule.checkDifferentiable(step);
    StepCoefficients k = rule.coefficients(step);
    Denoiser den = denoiser(model, c, step);
    INDArray u = g.mul(readOut ? k.q() : k.b());
    if (penalty != null) {
      INDArray guidedOut = output(den, c, x, step);
      INDArray extra = penalty.cotangent(step, x, guidedOut, () -> {
        boolean was = den.setAdaptersEnabled(false);
        try {
          return output(den, c, x, step);
        } finally {
          den.setAdaptersEnabled(was);
        }
      });
      if (extra != null) {
        u.addi(extra);
      }
    }
    INDArray ts = times(x.size(0), step);
    Denoiser.Vjp v = den.vjp(x, ts, c.cond(), u);
    INDArray dx = g.mul(readOut ? k.p() : k.a()).addi(v.sampleGrad());
    Release.of(u, v.sampleGrad(), ts);
    return new Gradients(dx, v.paramGrads());
  }

  /** The rule's class and this chain's description, for provenance and resume checks. */
  @Override
  public Map<String, Object> config() {
    return Map.of("sampler", rule.getClass().getSimpleName(), "description", toString());
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(rule.toString());
    decorators.forEach(d -> s.append('.').append(d));
    return s.toString();
  }
}
