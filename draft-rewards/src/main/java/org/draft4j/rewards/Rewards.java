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

  /**
   * PickScore-style prompt alignment {@code exp(logit_scale)·cos(image, prompt)} with a CLIP model
   * (bicubic resize to the tower's resolution, centre crop, CLIP normalization).
   */
  public static Reward pickScore(ClipModel clip) {
    return new PickScore(clip, new ClipPreprocess(clip.visionConfig().imageSize(),
        ClipPreprocess.Interpolation.BICUBIC), "pickscore");
  }

  /** HPSv2: the same CLIP scoring with HPSv2's weights. */
  public static Reward hpsV2(ClipModel clip) {
    return new PickScore(clip, new ClipPreprocess(clip.visionConfig().imageSize(),
        ClipPreprocess.Interpolation.BICUBIC), "hpsv2");
  }

  /** LAION-style aesthetic score of the normalized CLIP image embedding. */
  public static Reward aesthetic(ClipModel clip, AestheticHead head) {
    return new Aesthetic(clip, head, new ClipPreprocess(clip.visionConfig().imageSize(),
        ClipPreprocess.Interpolation.BICUBIC));
  }

  /** −(estimated JPEG size in KB) at a chosen quality. */
  public static Reward compressibility(int quality) {
    return JpegSizeEstimate.quality(quality).asCompressibility();
  }
}
