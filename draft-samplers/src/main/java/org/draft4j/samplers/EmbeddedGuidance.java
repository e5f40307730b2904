package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.sampling.DenoiserDecorator;
import org.draft4j.sampling.ForwardingDenoiser;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Embedded guidance as a {@link Denoiser} decorator: a {@link GuidanceEmbeddedDenoiser} evaluated
 * at a fixed guidance scale g for every sample, {@code out = f(x, t, c, g)}, with its VJP at the
 * same g. It must wrap the caller's model directly (the innermost decorator; the model must
 * implement {@link GuidanceEmbeddedDenoiser}). Adapters switch on the inner model.
 */
public final class EmbeddedGuidance extends ForwardingDenoiser {
  private final GuidanceEmbeddedDenoiser embedded;
  private final double scale;

  /** {@code model} at guidance {@code scale}. */
  public EmbeddedGuidance(GuidanceEmbeddedDenoiser model, double scale) {
    super(model);
    checkArgument(Double.isFinite(scale), "embedded guidance = %s must be finite", scale);
    this.embedded = model;
    this.scale = scale;
  }

  /**
   * The decorator feeding every step guidance {@code scale}; refused, naming the model's class, for
   * a model without a guidance input.
   */
  public static DenoiserDecorator decorator(double scale) {
    checkArgument(Double.isFinite(scale), "embedded guidance = %s must be finite", scale);
    return new DenoiserDecorator() {
      @Override
      public Denoiser decorate(Denoiser model, Conditioning cond, int step, int numSteps) {
        checkArgument(model instanceof GuidanceEmbeddedDenoiser, "embedded guidance needs a guidance-distilled model"
            + " (a GuidanceEmbeddedDenoiser, innermost), got %s; use classifier-free guidance (guidance(s)) instead",
            model.getClass().getName());
        return new EmbeddedGuidance((GuidanceEmbeddedDenoiser) model, scale);
      }

      @Override
      public String toString() {
        return "embeddedGuidance(" + scale + ")";
      }
    };
  }

  private INDArray scales(INDArray sample) {
    return Nd4j.valueArrayOf(new long[] {sample.size(0)}, (float) scale, DataType.FLOAT);
  }

  @Override
  public INDArray predict(INDArray sample, INDArray timesteps, INDArray context) {
    return embedded.predict(sample, timesteps, context, scales(sample));
  }

  @Override
  public Vjp vjp(INDArray sample, INDArray timesteps, INDArray context, INDArray cotangent) {
    return embedded.vjp(sample, timesteps, context, scales(sample), cotangent);
  }

  @Override
  public String toString() {
    return "EmbeddedGuidance(" + scale + ", " + model + ")";
  }
}
