package org.draft4j.examples.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --model}, {@code --model-variant} and {@code --model-ema} options of {@code train},
 * {@code sample}, {@code mix} and {@code export}.
 */
public final class ModelOptions {
  @Option(names = "--model", description = "a diffusers model folder, or a single-file SD 1.x checkpoint"
      + " (.safetensors, .ckpt) (default: the shipped ShapesWorld model)")
  Path model;

  @Option(names = "--model-variant", description = "the weights variant of a --model folder, as diffusers names it"
      + " (fp16: diffusion_pytorch_model.fp16.safetensors; default: the plain weights)")
  String variant;

  @Option(names = "--model-ema", description = "a single-file --model's EMA UNet (model_ema.*): ignore | use | auto"
      + " (default: ignore, as A1111, ComfyUI and diffusers load it)")
  @Choices({"auto", "use", "ignore"})
  String ema;

  /** The {@code --model} path as given; null when not given. */
  public Path model() {
    return model;
  }

  /** The checked source. */
  public ModelSource source() {
    return model == null && variant == null && ema == null ? ModelSource.SHIPPED
        : new ModelSource(model, variant, ModelSource.ema(ema));
  }
}
