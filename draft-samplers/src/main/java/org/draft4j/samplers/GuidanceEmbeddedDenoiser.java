package org.draft4j.samplers;

import org.draft4j.spi.Denoiser;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A guidance-distilled model (FLUX.1-dev): the guidance scale is an input of the network,
 * {@code out = f_θ(x, t, c, g)}, in place of classifier-free guidance's two calls. Its plain
 * {@link #predict(INDArray, INDArray, INDArray)} and {@link #vjp(INDArray, INDArray, INDArray, INDArray)}
 * are the model at its own default scale; samplers feed the scale with {@link EmbeddedGuidance}.
 */
public interface GuidanceEmbeddedDenoiser extends Denoiser {
  /** Forward pass at guidance {@code guidance} ({@code [B]}, one scale per sample). */
  INDArray predict(INDArray sample, INDArray timesteps, INDArray context, INDArray guidance);

  /** The VJP at guidance {@code guidance} ({@code [B]}); the scale is a constant, not differentiated. */
  Vjp vjp(INDArray sample, INDArray timesteps, INDArray context, INDArray guidance, INDArray cotangent);
}
