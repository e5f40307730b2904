package org.draft4j.shapesworld;

import java.util.List;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.ClipTextModel;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.text.BpeTrainer;
import org.draft4j.text.ClipTokenizer;

/**
 * The walking skeleton's model: Stable Diffusion's architecture at ShapesWorld size (32×32 RGB in
 * pixel space, two UNet levels with cross-attention, a 2-layer CLIP text encoder), randomly
 * initialized, with a BPE vocabulary learned from ShapesWorld captions.
 */
public final class ShapesWorldArchitecture {
  private ShapesWorldArchitecture() {}

  /**
   * UNet config: 32×32×3 pixels, channels (32, 64, 64) at 32², 16², 8², one ResNet per level,
   * cross-attention at 16² and 8² only (self-attention over 1024 tokens at 32² would dominate the cost),
   * 4 heads, context 64.
   */
  public static UNet2DConditionConfig unetConfig() {
    return new UNet2DConditionConfig(32, 3, 3, new int[] {32, 64, 64}, 1,
        List.of("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        List.of("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"), new int[] {4, 4, 4}, 64, 8, 1e-5, true, 0);
  }

  /** The BPE vocabulary learned from 4000 ShapesWorld captions (seed 12345), 300 merges. */
  public static BpeTrainer.Vocabulary vocabulary() {
    return BpeTrainer.learn(ShapesWorld.captions(12345, 4000), 300);
  }

  /** A randomly initialized ShapesWorld-sized text-to-image model. */
  public static TextToImageModel random(long seed) {
    BpeTrainer.Vocabulary v = vocabulary();
    ClipTokenizer tok = v.tokenizer(16);
    ClipTextConfig tc = new ClipTextConfig(tok.vocabSize(), 64, 128, 2, 4, 16, "quick_gelu", 1e-5);
    return TextToImageModel.builder()
        .id("shapesworld-random-seed" + seed)
        .tokenizer(tok)
        .textEncoder(ClipTextModel.random(tc, seed + 1))
        .unet(UNet2DConditionModel.random(unetConfig(), seed))
        .decoder(ImageDecoder.pixelSpace())
        .build();
  }
}
