package org.draft4j.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.ldm.EmaWeights;
import org.draft4j.models.ldm.SingleFileOptions;
import org.draft4j.models.ldm.StableDiffusionCheckpoint;
import org.draft4j.shapesworld.ShapesWorldModel;

/**
 * The model a launcher command runs on ({@code --model}, {@code --model-variant}, {@code --model-ema}):
 * the shipped ShapesWorld model (no path), a diffusers folder (its weights in any form
 * {@link org.draft4j.models.WeightFiles} finds, of {@code variant} if given), or a single-file SD 1.x
 * checkpoint ({@code .safetensors}, {@code .ckpt}: {@link StableDiffusionCheckpoint}, its UNet's EMA
 * copy chosen by {@code ema}). A variant for a file, or an EMA choice for a folder, is refused naming
 * the option.
 *
 * @param path null for the shipped model
 * @param variant null for the plain weights
 * @param ema null for the checkpoint's default ({@link EmaWeights#IGNORE})
 */
public record ModelSource(Path path, String variant, EmaWeights ema) {
  /** The shipped ShapesWorld model. */
  static final ModelSource SHIPPED = new ModelSource(null, null, null);

  /** Checks the options against what {@code path} is (a folder or a file). */
  public ModelSource {
    if (path == null) {
      if (variant != null) {
        throw new IllegalArgumentException("--model-variant = \"" + variant + "\" needs --model FOLDER");
      }
      if (ema != null) {
        throw new IllegalArgumentException("--model-ema = \"" + name(ema) + "\" needs --model FILE (a single-file"
            + " checkpoint)");
      }
    } else if (Files.isDirectory(path)) {
      if (ema != null) {
        throw new IllegalArgumentException("--model-ema = \"" + name(ema) + "\" is read for a single-file checkpoint"
            + " only; --model = \"" + path + "\" is a folder");
      }
    } else if (Files.isRegularFile(path)) {
      if (variant != null) {
        throw new IllegalArgumentException("--model-variant = \"" + variant + "\" is read for a diffusers folder"
            + " only; --model = \"" + path + "\" is a file");
      }
    } else {
      throw new IllegalArgumentException("--model = \"" + path + "\": no such file or directory");
    }
  }

  /** {@code auto | use | ignore} as the option spells it. */
  static String name(EmaWeights e) {
    return e.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@code --model-ema}; null stays null. */
  static EmaWeights ema(String s) {
    if (s == null) {
      return null;
    }
    for (EmaWeights e : EmaWeights.values()) {
      if (name(e).equals(s)) {
        return e;
      }
    }
    throw Cli.bad("model-ema", s, "one of [auto, use, ignore]");
  }

  /** Loads the model. */
  public TextToImageModel load() {
    if (path == null) {
      return ShapesWorldModel.pretrained();
    }
    if (Files.isDirectory(path)) {
      return variant == null ? ShapesWorldModel.load(path)
          : TextToImageModel.load(ModelFolder.of(path), ShapesWorldModel.idOf(path), variant);
    }
    SingleFileOptions.Builder o = SingleFileOptions.builder().id("checkpoint@" + path.toAbsolutePath());
    if (ema != null) {
      o.ema(ema);
    }
    return StableDiffusionCheckpoint.load(path, o.build());
  }
}
