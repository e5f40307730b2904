package org.draft4j.sampling;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import org.draft4j.spi.Denoiser;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Classifier-free guidance as a {@link Denoiser} decorator: with {@code c} the context it is called
 * with and {@code c_∅} the batch's unconditional (empty-prompt) embeddings,
 * <pre>
 *   out = out_∅ + s·(out_c − out_∅),   out_∅ = f(x, t, c_∅),  out_c = f(x, t, c)
 * </pre>
 * evaluated in one batched call on {@code [x; x]}, {@code [c_∅; c]}. Its VJP for a cotangent u is
 * the inner model's on {@code [(1−s)·u; s·u]}, the two halves of {@code dL/dx} summed and
 * {@code dL/dθ} as the batched call returns it. Adapters switch on the inner model.
 */
public final class ClassifierFreeGuidance extends ForwardingDenoiser {
  private final double scale;
  private final INDArray uncond;

  /**
   * Guides {@code model} at scale {@code scale} against {@code uncond} ({@code [B, L, D]}, the
   * shape of the contexts it will be called with).
   */
  public ClassifierFreeGuidance(Denoiser model, double scale, INDArray uncond) {
    super(model);
    checkArgument(scale >= 0 && Double.isFinite(scale), "guidance = %s must be finite and >= 0", scale);
    checkArgument(uncond != null, "guidance needs unconditional embeddings");
    this.scale = scale;
    this.uncond = uncond;
  }

  /**
   * The decorator guiding every step at {@code scale}; a batch without unconditional embeddings, or
   * scale 1 (conditional only), is left unguided (one model call, not two).
   */
  public static DenoiserDecorator decorator(double scale) {
    checkArgument(scale >= 0 && Double.isFinite(scale), "guidance = %s must be finite and >= 0", scale);
    return new DenoiserDecorator() {
      @Override
      public Denoiser decorate(Denoiser model, org.draft4j.spi.Conditioning cond, int step, int numSteps) {
        return scale != 1.0 && cond.uncond() != null ? new ClassifierFreeGuidance(model, scale, cond.uncond()) : model;
      }

      @Override
      public String toString() {
        return "guided(" + scale + ")";
      }
    };
  }

  private INDArray contexts(INDArray context) {
    checkArgument(Arrays.equals(context.shape(), uncond.shape()), "context shape %s differs from the unconditional"
        + " embeddings' %s", Arrays.toString(context.shape()), Arrays.toString(uncond.shape()));
    return Nd4j.concat(0, uncond, context);
  }

  @Override
  public INDArray predict(INDArray sample, INDArray timesteps, INDArray context) {
    long b = sample.size(0);
    INDArray x2 = Nd4j.concat(0, sample, sample);
    INDArray ctx2 = contexts(context);
    INDArray ts = Nd4j.concat(0, timesteps, timesteps);
    INDArray o = model.predict(x2, ts, ctx2);
    INDArray ou = o.get(NDArrayIndex.interval(0, b));
    INDArray oc = o.get(NDArrayIndex.interval(b, 2 * b));
    INDArray diff = oc.sub(ou);
    INDArray out = ou.add(diff.muli(scale));
    Release.of(x2, ctx2, ts, diff, o);
    return out;
  }

  @Override
  public Vjp vjp(INDArray sample, INDArray timesteps, INDArray context, INDArray cotangent) {
    long b = sample.size(0);
    INDArray x2 = Nd4j.concat(0, sample, sample);
    INDArray ctx2 = contexts(context);
    INDArray uu = cotangent.mul(1 - scale);
    INDArray uc = cotangent.mul(scale);
    INDArray u2 = Nd4j.concat(0, uu, uc);
    INDArray ts = Nd4j.concat(0, timesteps, timesteps);
    Vjp v = model.vjp(x2, ts, ctx2, u2);
    INDArray dx = v.sampleGrad().get(NDArrayIndex.interval(0, b)).add(v.sampleGrad().get(NDArrayIndex.interval(b, 2 * b)));
    Release.of(x2, ctx2, uu, uc, u2, ts, v.sampleGrad());
    return new Vjp(dx, v.paramGrads());
  }

  @Override
  public String toString() {
    return "ClassifierFreeGuidance(" + scale + ", " + model + ")";
  }
}
