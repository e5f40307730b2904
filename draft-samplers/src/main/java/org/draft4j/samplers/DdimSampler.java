package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.Sampler;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DDIM sampling with classifier-free guidance, as an immutable value: {@code Ddim.steps(50).eta(0)
 * .guidance(7.5)}. The guided output is {@code out = out_u + s·(out_c − out_u)}, computed in one
 * batched call on {@code [uncond; cond]} (skipped when s = 1).
 *
 * <p>Gradients: each step is affine in (x_t, out) ({@link DdimScheduler.Coefficients}), so the
 * backward of step i given {@code g = dL/dx_{i+1}} is {@code dL/dx_i = cx·g + J_xᵀ(co·g)} and
 * {@code dL/dθ += J_θᵀ(co·g)}, where the model VJPs recompute the step's activations from its
 * stored input. Memory holds one state per differentiated step and one step's activations.
 */
public final class DdimSampler implements Sampler {
  private static final long NOISE_PURPOSE = 0x5EED_0000L;
  private final DdimScheduler scheduler;
  private final int numSteps;
  private final double eta;
  private final double guidance;
  private final int[] timesteps;

  DdimSampler(DdimScheduler scheduler, int numSteps, double eta, double guidance) {
    checkArgument(eta >= 0 && Double.isFinite(eta), "eta = %s must be finite and >= 0", eta);
    checkArgument(guidance >= 0 && Double.isFinite(guidance), "guidance = %s must be finite and >= 0", guidance);
    this.scheduler = scheduler;
    this.numSteps = numSteps;
    this.eta = eta;
    this.guidance = guidance;
    this.timesteps = scheduler.timesteps(numSteps);
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

  @Override
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

  /** VJP of the guided output for cotangent u: returns dL/dx and adds dL/dθ into paramGrads. */
  private INDArray guidedVjp(Denoiser model, Conditioning c, INDArray x, int step, INDArray u,
      Map<String, INDArray> paramGrads) {
    int t = timestep(step);
    long b = x.size(0);
    Denoiser.Vjp v;
    INDArray dx;
    if (guided(c)) {
      INDArray x2 = Nd4j.concat(0, x, x);
      INDArray ctx2 = Nd4j.concat(0, c.uncond(), c.cond());
      INDArray uu = u.mul(1 - guidance);
      INDArray uc = u.mul(guidance);
      INDArray u2 = Nd4j.concat(0, uu, uc);
      INDArray ts = Nd4j.valueArrayOf(new long[] {2 * b}, (float) t, DataType.FLOAT);
      v = model.vjp(x2, ts, ctx2, u2);
      dx = v.sampleGrad().get(NDArrayIndex.interval(0, b)).add(v.sampleGrad().get(NDArrayIndex.interval(b, 2 * b)));
      release(x2, ctx2, uu, uc, u2, ts, v.sampleGrad());
    } else {
      INDArray ts = Nd4j.valueArrayOf(new long[] {b}, (float) t, DataType.FLOAT);
      v = model.vjp(x, ts, c.cond(), u);
      dx = v.sampleGrad();
      release(ts);
    }
    for (Map.Entry<String, INDArray> e : v.paramGrads().entrySet()) {
      INDArray acc = paramGrads.get(e.getKey());
      if (acc == null) {
        paramGrads.put(e.getKey(), e.getValue());
      } else {
        acc.addi(e.getValue());
        release(e.getValue());
      }
    }
    return dx;
  }

  /** Frees arrays this sampler made and no longer needs (views and already-closed arrays are skipped). */
  private static void release(INDArray... arrays) {
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
    return rollout(model, c, xT, 0, numSteps, numSteps, seeds, listener).output();
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
  public Rollout rollout(Denoiser model, Conditioning c, INDArray x, int from, int to, int keepFrom, long[] seeds,
      StepListener listener) {
    checkArgument(0 <= from && from <= to && to <= numSteps, "steps [%s, %s) outside [0, %s]", from, to, numSteps);
    checkArgument(keepFrom >= from && keepFrom <= to, "keepFrom %s outside [%s, %s]", keepFrom, from, to);
    checkArgument(seeds != null && seeds.length == x.size(0), "need one seed per sample (%s), got %s", x.size(0),
        seeds == null ? 0 : seeds.length);
    List<INDArray> kept = new ArrayList<>();
    INDArray cur = x;
    for (int i = from; i < to; i++) {
      if (i >= keepFrom) {
        kept.add(cur);
      }
      INDArray out = guidedOutput(model, c, cur, i);
      INDArray z = eta > 0 ? NoiseSource.batch(seeds, NOISE_PURPOSE + i, cur.shape()[1], cur.shape()[2], cur.shape()[3]).castTo(cur.dataType())
          : null;
      INDArray next = scheduler.step(out, timesteps[i], prev(i), cur, eta, z).prevSample();
      release(out, z);
      if (cur != x && i < keepFrom) {
        release(cur); // neither the caller's input nor kept for the backward pass
      }
      cur = next;
      if (listener != null) {
        listener.onStep(i, numSteps);
      }
    }
    return new Rollout(keepFrom, List.copyOf(kept), cur, seeds.clone());
  }

  @Override
  public INDArray backward(Denoiser model, Conditioning c, Rollout r, INDArray gradOut, StepPenalty penalty,
      Map<String, INDArray> paramGrads) {
    checkArgument(!scheduler.config().clipSample(),
        "clip_sample = true is not differentiable; use a scheduler config with clip_sample false for training");
    INDArray g = gradOut;
    for (int k = r.checkpoints().size() - 1; k >= 0; k--) {
      int i = r.keepFrom() + k;
      INDArray x = r.checkpoints().get(k);
      DdimScheduler.Coefficients co = scheduler.coefficients(timesteps[i], prev(i), eta);
      INDArray u = g.mul(co.co());
      if (penalty != null) {
        final int step = i;
        INDArray guidedOut = guidedOutput(model, c, x, i);
        INDArray extra = penalty.cotangent(i, x, guidedOut, () -> {
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
      INDArray dx = guidedVjp(model, c, x, i, u, paramGrads);
      g = g.mul(co.cx()).addi(dx);
    }
    return g;
  }

  @Override
  public INDArray predictX0(Denoiser model, Conditioning c, INDArray x, int step) {
    DdimScheduler.Coefficients co = scheduler.coefficients(timesteps[step], prev(step), eta);
    INDArray out = guidedOutput(model, c, x, step);
    return x.mul(co.px()).addi(out.mul(co.po()));
  }

  @Override
  public INDArray backwardPredictX0(Denoiser model, Conditioning c, INDArray x, int step, INDArray gradX0,
      Map<String, INDArray> paramGrads) {
    DdimScheduler.Coefficients co = scheduler.coefficients(timesteps[step], prev(step), eta);
    INDArray dx = guidedVjp(model, c, x, step, gradX0.mul(co.po()), paramGrads);
    return dx.addi(gradX0.mul(co.px()));
  }

  @Override
  public INDArray noiseTo(INDArray x0, int step, INDArray noise) {
    return scheduler.addNoise(x0, noise, timestep(step));
  }

  @Override
  public String toString() {
    return "Ddim.steps(" + numSteps + ").eta(" + eta + ").guidance(" + guidance + ") " + scheduler.config().toJson();
  }
}
