package org.draft4j.shapesworld;

import java.nio.file.Path;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;

/**
 * The pretrained ShapesWorld text-to-image model shipped in this jar under {@code shapesworld/}
 * (diffusers layout: model_index.json, unet/, text_encoder/, tokenizer/, scheduler/): v2, a
 * v-prediction UNet under a zero-terminal-SNR schedule (the scheduler config says so, and
 * {@code Ddim.steps(n, model)} samples under it), made by the ShapesWorld pretraining with the
 * commands and settings recorded in {@code shapesworld/PROVENANCE.json} and its quality in
 * {@code shapesworld/REPORT.json}.
 */
public final class ShapesWorldModel {
  /** Classpath folder of the shipped weights. */
  public static final String RESOURCE = "shapesworld";
  /** The shipped model's id (in provenance and summaries). */
  public static final String ID = "shapesworld-v2";

  private ShapesWorldModel() {}

  /** Loads the shipped model from the classpath. */
  public static TextToImageModel pretrained() {
    ModelFolder f = ModelFolder.classpath(ShapesWorldModel.class.getClassLoader(), RESOURCE);
    if (!f.exists("unet/config.json")) {
      throw new IllegalStateException("the ShapesWorld weights are not on the classpath (" + f.location("unet")
          + "); build the examples module, or create them with: launcher pretrain-shapes --export DIR");
    }
    return TextToImageModel.load(f, ID);
  }

  /** Classpath folder of the world's CLIP (Hugging Face CLIPModel layout). */
  public static final String CLIP_RESOURCE = "shapesworld-clip";
  /** Classpath file of the world's aesthetic head. */
  public static final String AESTHETIC_RESOURCE = "shapesworld-aesthetic/aesthetic.safetensors";

  /** The world's CLIP, shipped in this jar: the PickScore-style alignment reward's model. */
  public static org.draft4j.rewards.ClipModel clip() {
    ModelFolder f = ModelFolder.classpath(ShapesWorldModel.class.getClassLoader(), CLIP_RESOURCE);
    if (!f.exists("config.json")) {
      throw new IllegalStateException("the ShapesWorld CLIP is not on the classpath (" + f.location("config.json")
          + "); build the examples module, or create it with: launcher pretrain-shapes --export DIR");
    }
    return org.draft4j.rewards.ClipModel.load(f);
  }

  /** The world's aesthetic head (LAION MLP layout) over {@link #clip()}'s image features. */
  public static org.draft4j.rewards.AestheticHead aestheticHead() {
    ModelFolder f = ModelFolder.classpath(ShapesWorldModel.class.getClassLoader(), "shapesworld-aesthetic");
    try (org.draft4j.io.SafetensorsFile sf = org.draft4j.io.SafetensorsFile.fromBytes(f.read("aesthetic.safetensors"),
        f.location("aesthetic.safetensors"))) {
      org.draft4j.nn.Parameters p = org.draft4j.nn.Parameters.of(sf.readAll(), f.location("aesthetic.safetensors"));
      return new org.draft4j.rewards.AestheticHead(p, (int) p.get("layers.0.weight").size(1));
    }
  }

  /**
   * The world's default reward: PickScore-style prompt alignment with the world's CLIP plus
   * {@code aestheticWeight} times the aesthetic head's score, {@code exp(s)·cos(img, txt) + w·aesthetic}.
   */
  public static org.draft4j.spi.Reward alignmentAndAesthetic(double aestheticWeight) {
    org.draft4j.rewards.ClipModel c = clip();
    return org.draft4j.rewards.Rewards.pickScore(c).plus(aestheticWeight,
        org.draft4j.rewards.Rewards.aesthetic(c, aestheticHead()));
  }

  /**
   * Prompt alignment against the caption's one-word alternatives ({@link CaptionAlternatives}) with
   * the world's CLIP: {@code log softmax} of the caption's score among its own and theirs
   * ({@link org.draft4j.rewards.Rewards#contrastiveAlignment}), ≤ 0.
   */
  public static org.draft4j.spi.Reward contrastiveAlignment() {
    return org.draft4j.rewards.Rewards.contrastiveAlignment(clip(), CaptionAlternatives::of, CaptionAlternatives.MAX);
  }

  /**
   * Prompt alignment against the caption's other shape kinds only ({@link CaptionAlternatives#kinds}):
   * {@code log softmax} of the caption's CLIP score among itself and the same caption with each shape
   * word replaced by another kind, ≤ 0 (0 for a caption without a shape). Colour, size and background
   * are the same in every alternative, so only what tells the asked kind from the others raises it.
   */
  public static org.draft4j.spi.Reward kindContrastiveAlignment() {
    return org.draft4j.rewards.Rewards.contrastiveAlignment(clip(), CaptionAlternatives::kinds,
        CaptionAlternatives.MAX_KINDS);
  }

  /**
   * PickScore-style alignment with the world's CLIP averaged over four views of each 32×32 image
   * ({@link org.draft4j.rewards.Rewards#averaged}): the image itself, shifted one pixel down and
   * left then blurred by σ = 0.5 px, shifted one pixel up and right then blurred by σ = 0.5 px, and
   * shifted one pixel down and right.
   */
  public static org.draft4j.spi.Reward averagedAlignment() {
    return averaged(org.draft4j.rewards.Rewards.pickScore(clip()));
  }

  /**
   * {@link #kindContrastiveAlignment()} averaged over the four views of {@link #averagedAlignment()}:
   * the kind must be told apart in the shifted and blurred views too.
   */
  public static org.draft4j.spi.Reward averagedKindContrastiveAlignment() {
    return averaged(kindContrastiveAlignment());
  }

  private static org.draft4j.spi.Reward averaged(org.draft4j.spi.Reward r) {
    return org.draft4j.rewards.Rewards.averaged(r, java.util.List.of(
        new org.draft4j.rewards.TransformAveraged.Augmentation(0, 0, 0),
        new org.draft4j.rewards.TransformAveraged.Augmentation(1, -1, 0.5),
        new org.draft4j.rewards.TransformAveraged.Augmentation(-1, 1, 0.5),
        new org.draft4j.rewards.TransformAveraged.Augmentation(1, 1, 0)));
  }

  /** Loads a model folder written by {@code pretrain-shapes --export DIR}. */
  public static TextToImageModel load(Path dir) {
    return TextToImageModel.load(ModelFolder.of(dir), idOf(dir));
  }

  /** The id of a model loaded from {@code dir}: {@code shapesworld@<absolute path>}. */
  public static String idOf(Path dir) {
    return "shapesworld@" + dir.toAbsolutePath();
  }
}
