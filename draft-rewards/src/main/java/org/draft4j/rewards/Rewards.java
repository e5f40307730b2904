package org.draft4j.rewards;

import org.draft4j.spi.Reward;

/** Static factories of the bundled rewards. Images follow {@link Reward}'s convention. */
public final class Rewards {
  private Rewards() {}

  /** −(estimated JPEG size in KB at quality 75): rewards images that compress well. */
  public static Reward compressibility() {
    return JpegSizeEstimate.quality75().asCompressibility();
  }

  /** +(estimated JPEG size in KB at quality 75): rewards detailed, hard-to-compress images. */
  public static Reward incompressibility() {
    return JpegSizeEstimate.quality75().asIncompressibility();
  }

  /** −(estimated JPEG size in KB) at a chosen quality. */
  public static Reward compressibility(int quality) {
    return new JpegSizeEstimate(quality, 1.0, 4.0, 600).asCompressibility();
  }
}
