package org.draft4j.lora;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.nn.Parameters;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained LoRA baked into a model, for tools that take plain weights: the result saves as a
 * diffusers folder ({@link TextToImageModel#save(java.nio.file.Path)}) or as a single-file SD 1.x
 * checkpoint for A1111/ComfyUI ({@code org.draft4j.models.ldm.StableDiffusionCheckpoint.write}).
 */
public final class LoraExport {
  private LoraExport() {}

  /**
   * A new model whose UNet weights are a copy of {@code base}'s plus {@code scale·(α/r)·B·A} for
   * each module of {@code lora}: it computes what {@code base} computes with the adapter attached
   * at {@code scale} (up to float rounding). {@code base} and {@code lora} are left unchanged; the
   * frozen tokenizer, text encoder, VAE and scheduler config are shared with {@code base}. The id is
   * {@code base.id() + "+" + lora.name()}. A LoRA merged into some weights is refused.
   */
  public static TextToImageModel merged(TextToImageModel base, LoraAdapter lora, double scale) {
    checkArgument(base != null && lora != null, "base and lora must not be null");
    checkArgument(Double.isFinite(scale), "LoRA scale %s must be finite", scale);
    checkArgument(!lora.isMerged(), "LoRA %s is merged into some weights; unmerge it before exporting a merged copy",
        lora.name());
    Map<String, INDArray> copy = new LinkedHashMap<>();
    base.unet().parameters().asMap().forEach((k, v) -> copy.put(k, v.dup()));
    Parameters params = Parameters.of(copy, base.id() + " + LoRA " + lora.name() + " at scale " + scale);
    lora.addDelta(params, scale);
    UNet2DConditionModel unet = UNet2DConditionModel.of(base.unet().config(), params);
    TextToImageModel.Builder b = TextToImageModel.builder().id(base.id() + "+" + lora.name())
        .tokenizer(base.tokenizer()).textEncoder(base.textEncoder()).unet(unet);
    if (base.vae() != null) {
      b.vae(base.vae());
    } else {
      b.decoder(base.decoder());
    }
    base.schedulerConfig().ifPresent(b::schedulerConfig);
    return b.build();
  }
}
