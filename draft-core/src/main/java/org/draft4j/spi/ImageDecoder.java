package org.draft4j.spi;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Maps the sampler's final state to images in the library's convention ({@code [B,3,H,W]} in
 * [0,1]), differentiably: a VAE decoder for latent models, {@link #pixelSpace()} for pixel models.
 */
public interface ImageDecoder {
  /** Adds decoding to a graph. */
  SDVariable decode(SameDiff sd, SDVariable sample);

  /**
   * Adds decoding to a reward graph; decoders built from model weights override this to use
   * {@link RewardGraph#builder} (fused ops on the engine). By default {@link #decode(SameDiff, SDVariable)}.
   */
  default SDVariable decode(RewardGraph graph, SDVariable sample) {
    return decode(graph.sd(), sample);
  }

  /** Image height for a sample height. */
  default long imageSize(long sampleSize) {
    return sampleSize;
  }

  /** Pixel-space models: {@code clip((x + 1) / 2, 0, 1)} (gradient zero where clipped). */
  static ImageDecoder pixelSpace() {
    return (sd, x) -> sd.math.clipByValue(x.add(1.0).mul(0.5), 0.0, 1.0);
  }

  /** Images that are already in the library's convention ({@code [B,3,H,W]} in [0,1]): unchanged. */
  static ImageDecoder identity() {
    return (sd, x) -> x;
  }
}
