package org.draft4j.examples;

import java.nio.file.Path;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;

/**
 * The pretrained ShapesWorld text-to-image model shipped in this jar under {@code shapesworld/}
 * (diffusers layout: model_index.json, unet/, text_encoder/, tokenizer/, scheduler/), produced by
 * {@code launcher pretrain-shapes} with the settings recorded in {@code shapesworld/PROVENANCE.json}.
 */
public final class ShapesWorldModel {
  /** Classpath folder of the shipped weights. */
  public static final String RESOURCE = "shapesworld";

  private ShapesWorldModel() {}

  /** Loads the shipped model from the classpath. */
  public static TextToImageModel pretrained() {
    ModelFolder f = ModelFolder.classpath(ShapesWorldModel.class.getClassLoader(), RESOURCE);
    if (!f.exists("unet/config.json")) {
      throw new IllegalStateException("the ShapesWorld weights are not on the classpath (" + f.location("unet")
          + "); build the examples module, or create them with: launcher pretrain-shapes --export DIR");
    }
    return TextToImageModel.load(f, "shapesworld-v0");
  }

  /** Loads a model folder written by {@code pretrain-shapes --export DIR}. */
  public static TextToImageModel load(Path dir) {
    return TextToImageModel.load(ModelFolder.of(dir), "shapesworld@" + dir.toAbsolutePath());
  }
}
