package org.draft4j.testing;

import java.util.List;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.ClipTextModel;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.text.BpeTrainer;

/** Tiny configs of the real architectures, for fast tests in every module. */
public final class TinyModels {
  private TinyModels() {}

  /** 8×8×3 UNet, channels (8, 16), attention at the first level, context 8. */
  public static UNet2DConditionConfig unetConfig() {
    return new UNet2DConditionConfig(8, 3, 3, new int[] {8, 16}, 1, List.of("CrossAttnDownBlock2D", "DownBlock2D"),
        List.of("UpBlock2D", "CrossAttnUpBlock2D"), new int[] {2, 2}, 8, 4, 1e-5, true, 0);
  }

  public static UNet2DConditionModel unet(long seed) {
    return UNet2DConditionModel.random(unetConfig(), seed);
  }

  /** A tiny pixel-space text-to-image model (vocabulary learned from a few captions, 8 tokens). */
  public static TextToImageModel model(long seed) {
    BpeTrainer.Vocabulary v = BpeTrainer.learn(List.of("a red star", "a blue square", "a green circle"), 10);
    return TextToImageModel.builder()
        .id("tiny-" + seed)
        .tokenizer(v.tokenizer(8))
        .textEncoder(ClipTextModel.random(new ClipTextConfig(v.vocab().size(), 8, 16, 1, 2, 8, "quick_gelu", 1e-5),
            seed + 1))
        .unet(unet(seed))
        .decoder(ImageDecoder.pixelSpace())
        .build();
  }
}
