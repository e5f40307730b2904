package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
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
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DDIM sampling with classifier-free guidance, as an immutable value: {@code Ddim.steps(50).eta(0)
 * .guidance(7.5)}. The guided output is {@code out = out_u + s·(out_c − out_u)}, computed in one
 * batched call on {@code [uncond; cond]} (skipped when s = 1).
 *
 * <p>Gradients ({@link DdimTrajectory}): each step is affine in (x_t, out)
 * ({@link DdimScheduler.Coefficients}), so the backward of step i given {@code g = dL/dx_{i+1}} is
 * {@code dL/dx_i = cx·g + J_xᵀ(co·g)} and {@code dL/dθ += J_θᵀ(co·g)}, where the model VJPs
 * recompute the step's activations from its stored input; the read-out {@code x̂₀ = px·x + po·out}
 * the same with (px, po). Memory holds one state per differentiated step and one step's activations.
 */
public final class DdimSampler implements Sampler {
  private static final long NOISE_PURPOSE = 0x5EED_0000L;
  private final DdimScheduler scheduler;
  private final int numSteps;
  private final double eta;
  private final double guidance;
  private final int[] timesteps;
  private final SamplingSchedule schedule;

  DdimSampler(DdimScheduler scheduler, int numSteps, double eta, double guidance) {
    checkArgument(eta >= 0 && Double.isFinite(eta), "eta = %s must be finite and >= 0", eta);
    checkArgument(guidance >= 0 && Double.isFinite(guidance), "guidance = %s must be finite and >= 0", guidance);
    this.scheduler = scheduler;
    this.numSteps = numSteps;
    this.eta = eta;
    this.guidance = guidance;
    this.timesteps = scheduler.timesteps(numSteps);
    this.schedule = new DdimSchedule(this);
  }

  /** The same sampler with another eta (0 = deterministic DDIM, 1 = DDPM-like). */
  public DdimSampler eta(double eta) {
    return new DdimSampler(scheduler, numSteps, eta, guidance);
  }

  /** The same sampler with another classifier-free guidance scale (1 = conditional only). */
  public DdimSampler guidance(double scale) {
    return new DdimSampler(scheduler, numSteps, eta, scale);
  }

  /** The same sampler over another scheduler config (spacing, prediction type, betas). */
  public DdimSampler scheduler(DdimSchedulerConfig config) {
    return new DdimSampler(new DdimScheduler(config), numSteps, eta, guidance);
  }

  public DdimScheduler scheduler() {
    return scheduler;
  }

  public double eta() {
    return eta;
  }

  public double guidance() {
    return guidance;
  }

  @Override
  public int numSteps() {
    return numSteps;
  }

  /** Model timestep used at step i (0 ≤ i < numSteps). */
  public int timestep(int step) {
    checkArgument(step >= 0 && step < numSteps, "step %s outside [0, %s)", step, numSteps);
    return timesteps[step];
  }

  private boolean guided(Conditioning c) {
    return guidance != 1.0 && c.uncond() != null;
  }

  /** The guided model output at step i for input x. */
  public INDArray guidedOutput(Denoiser model, Conditioning c, INDArray x, int step) {
    int t = timestep(step);
    long b = x.size(0);
    checkArgument(c.batch() == b, "conditioning batch %s differs from sample batch %s", c.batch(), b);
    INDArray out;
    if (guided(c)) {
      INDArray x2 = Nd4j.concat(0, x, x);
      INDArray ctx2 = Nd4j.concat(0, c.uncond(), c.cond());
      INDArray ts = Nd4j.valueArrayOf(new long[] {2 * b}, (float) t, DataType.FLOAT);
      INDArray o = model.predict(x2, ts, ctx2);
      INDArray ou = o.get(NDArrayIndex.interval(0, b));
      INDArray oc = o.get(NDArrayIndex.interval(b, 2 * b));
      INDArray diff = oc.sub(ou);
      out = ou.add(diff.muli(guidance));
      release(x2, ctx2, ts, diff, o); // native memory back now, not when the collector gets to it
    } else {
      INDArray ts = Nd4j.valueArrayOf(new long[] {b}, (float) t, DataType.FLOAT);
      out = model.predict(x, ts, c.cond());
      release(ts);
    }
    if (out.isNaN().any() || out.isInfinite().any()) {
      throw new ArithmeticException("model output at step " + step + " (timestep " + t
          + ") contains NaN or Inf; check the model weights, the input scale and the learning rate");
    }
    return out;
  }

  /** VJP of the guided output for cotangent u: {@code dL/dx} and {@code dL/dθ} (guided branches summed). */
  private Denoiser.Vjp guidedVjp(Denoiser model, Conditioning c, INDArray x, int step, INDArray u) {
    int t = timestep(step);
    long b = x.size(0);
    if (guided(c)) {
      INDArray x2 = Nd4j.concat(0, x, x);
      INDArray ctx2 = Nd4j.concat(0, c.uncond(), c.cond());
      INDArray uu = u.mul(1 - guidance);
      INDArray uc = u.mul(guidance);
      INDArray u2 = Nd4j.concat(0, uu, uc);
      INDArray ts = Nd4j.valueArrayOf(new long[] {2 * b}, (float) t, DataType.FLOAT);
      Denoiser.Vjp v = model.vjp(x2, ts, ctx2, u2);
      INDArray dx = v.sampleGrad().get(NDArrayIndex.interval(0, b)).add(v.sampleGrad().get(NDArrayIndex.interval(b, 2 * b)));
      release(x2, ctx2, uu, uc, u2, ts, v.sampleGrad());
      return new Denoiser.Vjp(dx, v.paramGrads());
    }
    INDArray ts = Nd4j.valueArrayOf(new long[] {b}, (float) t, DataType.FLOAT);
    Denoiser.Vjp v = model.vjp(x, ts, c.cond(), u);
    release(ts);
    return v;
  }

  /** Frees arrays this sampler made and no longer needs (views and already-closed arrays are skipped). */
  static void release(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && !a.wasClosed() && a.closeable()) {
        a.close();
      }
    }
  }

  private int prev(int step) {
    return scheduler.prevTimestep(timesteps[step], numSteps);
  }

  /** Full no-gradient sampling x_T → x_0 (evaluation and inference). */
  public INDArray sample(Denoiser model, Conditioning c, INDArray xT, long[] seeds, StepListener listener) {
    return rollout(model, c, xT, seeds, Span.all(numSteps), listener).output();
  }

  /**
   * Inference with annealed importance guidance: at step i the guided outputs of the base model
   * (adapters off) and the adapted model are blended, {@code (1 − w_i)·ε_base + w_i·ε_adapted}.
   */
  public INDArray sampleBlended(Denoiser model, Conditioning c, INDArray xT, long[] seeds, BlendSchedule schedule,
      StepListener listener) {
    checkArgument(seeds != null && seeds.length == xT.size(0), "need one seed per sample (%s)", xT.size(0));
    INDArray cur = xT;
    for (int i = 0; i < numSteps; i++) {
      double w = schedule.weight(i, numSteps);
      checkArgument(Double.isFinite(w), "blend weight %s at step %s must be finite", w, (Object) i);
      INDArray adapted = w != 0 ? guidedOutput(model, c, cur, i) : null;
      INDArray base = null;
      if (w != 1) {
        boolean was = model.setAdaptersEnabled(false);
        try {
          base = guidedOutput(model, c, cur, i);
        } finally {
          model.setAdaptersEnabled(was);
        }
      }
      INDArray out = base == null ? adapted : adapted == null ? base : base.mul(1 - w).addi(adapted.mul(w));
      INDArray z = eta > 0 ? NoiseSource.batch(seeds, NOISE_PURPOSE + i, cur.shape()[1], cur.shape()[2],
          cur.shape()[3]).castTo(cur.dataType()) : null;
      cur = scheduler.step(out, timesteps[i], prev(i), cur, eta, z).prevSample();
      if (listener != null) {
        listener.onStep(i, numSteps);
      }
    }
    return cur;
  }

  @Override
  public Trajectory rollout(Denoiser model, Conditioning c, INDArray x, long[] seeds, Span span) {
    return rollout(model, c, x, seeds, span, null);
  }

  /** As {@link #rollout(Denoiser, Conditioning, INDArray, long[], Span)}, with a progress listener (or null). */
  public Trajectory rollout(Denoiser model, Conditioning c, INDArray x, long[] seeds, Span span,
      StepListener listener) {
    checkArgument(span.to() <= numSteps, "span steps [%s, %s) outside the sampler's [0, %s)", span.from(), span.to(),
        numSteps);
    checkArgument(seeds != null && seeds.length == x.size(0), "need one seed per sample (%s), got %s", x.size(0),
        seeds == null ? 0 : seeds.length);
    List<INDArray> kept = new ArrayList<>();
    INDArray cur = x;
    int last = span.predictX0() ? span.to() - 1 : span.to();
    for (int i = span.from(); i < last; i++) {
      if (i >= span.differentiateFrom()) {
        kept.add(cur);
      }
      INDArray out = guidedOutput(model, c, cur, i);
      INDArray z = eta > 0 ? NoiseSource.batch(seeds, NOISE_PURPOSE + i, cur.shape()[1], cur.shape()[2], cur.shape()[3]).castTo(cur.dataType())
          : null;
      INDArray next = scheduler.step(out, timesteps[i], prev(i), cur, eta, z).prevSample();
      release(out, z);
      if (cur != x && i < span.differentiateFrom()) {
        release(cur); // neither the caller's input nor kept for the backward pass
      }
      cur = next;
      if (listener != null) {
        listener.onStep(i, numSteps);
      }
    }
    if (span.predictX0()) {
      // x̂₀ = px·x + po·out from the last step's input (ReFL's one-step prediction)
      if (last >= span.differentiateFrom()) {
        kept.add(cur);
      }
      DdimScheduler.Coefficients co = coefficients(last);
      INDArray out = guidedOutput(model, c, cur, last);
      INDArray x0 = cur.mul(co.px()).addi(out.mul(co.po()));
      release(out);
      if (cur != x && last < span.differentiateFrom()) {
        release(cur);
      }
      cur = x0;
      if (listener != null) {
        listener.onStep(last, numSteps);
      }
    }
    return new DdimTrajectory(this, model, c, span, List.copyOf(kept), cur);
  }

  DdimScheduler.Coefficients coefficients(int step) {
    return scheduler.coefficients(timesteps[step], prev(step), eta);
  }

  /**
   * The backward of step {@code step} given {@code g = dL/dy} of its output y = a·x + b·out (the
   * next state, or x̂₀ for the read-out): {@code dL/dx = a·g + J_xᵀ(b·g + penalty)}, with
   * {@code dL/dθ = J_θᵀ(b·g + penalty)} returned beside it.
   */
  Gradients backwardStep(Denoiser model, Conditioning c, INDArray x, int step, INDArray g, boolean readOut,
      StepPenalty penalty) {
    checkArgument(!scheduler.config().clipSample(),
        "clip_sample = true is not differentiable; use a scheduler config with clip_sample false for training");
    DdimScheduler.Coefficients co = coefficients(step);
    INDArray u = g.mul(readOut ? co.po() : co.co());
    if (penalty != null) {
      INDArray guidedOut = guidedOutput(model, c, x, step);
      INDArray extra = penalty.cotangent(step, x, guidedOut, () -> {
        boolean was = model.setAdaptersEnabled(false);
        try {
          return guidedOutput(model, c, x, step);
        } finally {
          model.setAdaptersEnabled(was);
        }
      });
      if (extra != null) {
        u.addi(extra);
      }
    }
    Denoiser.Vjp v = guidedVjp(model, c, x, step, u);
    INDArray dx = g.mul(readOut ? co.px() : co.cx()).addi(v.sampleGrad());
    release(u, v.sampleGrad());
    return new Gradients(dx, v.paramGrads());
  }

  @Override
  public SamplingSchedule schedule() {
    return schedule;
  }

  /**
   * The sampler's hyperparameters as a record: steps, eta, guidance scale and the scheduler config
   * (diffusers' keys).
   */
  public record Config(String sampler, int steps, double eta, double guidance, DdimSchedulerConfig scheduler) {}

  @Override
  @SuppressWarnings("unchecked")
  public java.util.Map<String, Object> config() {
    return org.draft4j.io.Json.mapper().convertValue(new Config("ddim", numSteps, eta, guidance, scheduler.config()),
        java.util.LinkedHashMap.class);
  }

  @Override
  public String toString() {
    return "Ddim.steps(" + numSteps + ").eta(" + eta + ").guidance(" + guidance + ") " + scheduler.config().toJson();
  }
}
