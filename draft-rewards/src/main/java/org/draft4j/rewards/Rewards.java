package org.draft4j.rewards;

import org.draft4j.engine.ExecutionContext;
import static com.google.common.base.Preconditions.checkArgument;

import java.util.Collections;
import java.util.List;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.nd4j.linalg.api.ndarray.INDArray;

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
   * PickScore-style prompt alignment {@code exp(logit_scale)·cos(image, prompt)} with a CLIP model,
   * preprocessed as PickScore's processor ({@code CLIPImageProcessor}) does:
   * {@link ClipPreprocess#huggingFace} at the tower's resolution (PIL's antialiased bicubic on the
   * shortest edge, centre crop, CLIP normalization).
   */
  public static Reward pickScore(ClipModel clip) {
    checkArgument(clip != null, "clip must not be null");
    return pickScore(clip, ClipPreprocess.huggingFace(clip.visionConfig().imageSize()));
  }

  /**
   * {@link #pickScore(ClipModel)} with another preprocessing, e.g. the non-antialiased
   * {@code new ClipPreprocess(size, ClipPreprocess.Interpolation.BICUBIC)} that was the default before.
   */
  public static Reward pickScore(ClipModel clip, ClipPreprocess preprocess) {
    checkPreprocess(clip, preprocess);
    return new PickScore(clip, preprocess, "pickscore", true);
  }

  /**
   * Prompt alignment against alternatives ({@link ContrastiveAlignment}): the CLIP's
   * log-probability of each image's prompt among the prompt and {@code alternatives.apply(prompt)}
   * (1 to {@code maxAlternatives} captions, none equal to the prompt), with PickScore's
   * preprocessing ({@link ClipPreprocess#huggingFace}).
   */
  public static Reward contrastiveAlignment(ClipModel clip, java.util.function.Function<String, List<String>> alternatives,
      int maxAlternatives) {
    checkArgument(clip != null, "clip must not be null");
    return contrastiveAlignment(clip, alternatives, maxAlternatives,
        ClipPreprocess.huggingFace(clip.visionConfig().imageSize()));
  }

  /** {@link #contrastiveAlignment(ClipModel, java.util.function.Function, int)} with another preprocessing. */
  public static Reward contrastiveAlignment(ClipModel clip, java.util.function.Function<String, List<String>> alternatives,
      int maxAlternatives, ClipPreprocess preprocess) {
    checkPreprocess(clip, preprocess);
    return new ContrastiveAlignment(clip, preprocess, alternatives, maxAlternatives);
  }

  /**
   * {@code reward} averaged over fixed augmentations of each image ({@link TransformAveraged}):
   * whole-pixel shifts and Gaussian blurs.
   */
  public static Reward averaged(Reward reward, List<TransformAveraged.Augmentation> augmentations) {
    return new TransformAveraged(reward, augmentations);
  }

  /**
   * HPSv2 / HPSv2.1 as HPSv2's own {@code hpsv2/img_score.py} scores: {@code cos(f_img(image), f_txt(prompt))},
   * the diagonal of {@code image_features @ text_features.T} of the normalized features, with no
   * logit scale (in [−1, 1]). Preprocessing as img_score.py's eval transform ({@code ToTensor}, then
   * {@code ResizeMaxSize} on the tensor) under torchvision ≥ 0.17 ({@link ClipPreprocess#hpsV2}):
   * antialiased bicubic resize of the longer side to the tower's size, zero padding to a square,
   * OpenAI mean/std. (HPSv2 pins no torchvision; before 0.17 tensors were resized without antialias,
   * which {@link #hpsV2(ClipModel, ClipPreprocess)} with {@code new ClipPreprocess(size,
   * ClipPreprocess.Interpolation.BICUBIC, ClipPreprocess.Fit.PAD)} reproduces.)
   */
  public static Reward hpsV2(ClipModel clip) {
    checkArgument(clip != null, "clip must not be null");
    return hpsV2(clip, ClipPreprocess.hpsV2(clip.visionConfig().imageSize()));
  }

  /** {@link #hpsV2(ClipModel)} with another preprocessing. */
  public static Reward hpsV2(ClipModel clip, ClipPreprocess preprocess) {
    checkPreprocess(clip, preprocess);
    return new PickScore(clip, preprocess, "hpsv2", false);
  }

  /**
   * HPSv2 from its published checkpoint ({@code HPS_v2_compressed.pt}, {@code HPS_v2.1_compressed.pt}:
   * an open_clip ViT-H-14 state dict) read directly ({@link OpenClipCheckpoint#load(Path)}), scored as
   * {@link #hpsV2(ClipModel)}.
   */
  public static Reward hpsV2(java.nio.file.Path checkpoint) {
    return hpsV2(OpenClipCheckpoint.load(checkpoint));
  }

  /**
   * LAION's improved aesthetic predictor: {@code head(f_img(image) / ‖f_img(image)‖)} with an
   * OpenAI CLIP ViT-L/14 ({@link ClipModel#load(java.nio.file.Path)} of its Hugging Face folder) and
   * {@code sac+logos+ava1-l14-linearMSE.pth} ({@link AestheticHead#load(java.nio.file.Path)}); the
   * predictor's {@code simple_inference.py} preprocesses with OpenAI CLIP's {@code clip.load} transform
   * ({@link ClipPreprocess#openAi}: PIL's antialiased bicubic, torchvision's centre crop). The head's
   * input size must be the CLIP's projection_dim.
   */
  public static Reward aesthetic(ClipModel clip, AestheticHead head) {
    checkArgument(clip != null, "clip must not be null");
    return aesthetic(clip, head, ClipPreprocess.openAi(clip.visionConfig().imageSize()));
  }

  /** {@link #aesthetic(ClipModel, AestheticHead)} with another preprocessing. */
  public static Reward aesthetic(ClipModel clip, AestheticHead head, ClipPreprocess preprocess) {
    checkPreprocess(clip, preprocess);
    checkArgument(head != null, "head must not be null");
    return new Aesthetic(clip, head, preprocess);
  }

  /** −(estimated JPEG size in KB) at a chosen quality. */
  public static Reward compressibility(int quality) {
    return JpegSizeEstimate.quality(quality).asCompressibility();
  }

  /** +(estimated JPEG size in KB) at a chosen quality. */
  public static Reward incompressibility(int quality) {
    return JpegSizeEstimate.quality(quality).asIncompressibility();
  }

  /**
   * Scores fixed images with a reward, without a sampler or a model: {@code images} are
   * {@code [B, 3, H, W]} RGB in [0, 1] (the reward convention), one prompt per image. Returns
   * {@code [B]} rewards. For many batches, keep a {@link RewardEvaluator} with
   * {@link ImageDecoder#identity()} instead (it compiles once per shape).
   */
  public static INDArray score(Reward reward, INDArray images, List<String> prompts) {
    checkImages(images);
    checkArgument(prompts != null && prompts.size() == images.size(0),
        "prompts: %s for %s images; give one prompt per image",
        prompts == null ? "null" : String.valueOf(prompts.size()), String.valueOf(images.size(0)));
    try (RewardEvaluator ev = new RewardEvaluator(reward, ImageDecoder.identity(), ExecutionContext.shared())) {
      return ev.evaluate(images, prompts, false).rewards();
    }
  }

  /**
   * Scores fixed images with a reward that does not read prompts (compressibility, an aesthetic
   * head, a custom image-only reward); a prompt-reading reward (PickScore, HPSv2) is refused, naming it.
   */
  public static INDArray score(Reward reward, INDArray images) {
    checkImages(images);
    checkArgument(reward != null, "reward must not be null");
    try (RewardEvaluator ev = new RewardEvaluator(reward, ImageDecoder.identity(), ExecutionContext.shared())) {
      checkArgument(!ev.readsPrompts(images.shape()),
          "reward %s reads prompts; call Rewards.score(reward, images, prompts) with one prompt per image",
          reward.name());
      return ev.evaluate(images, Collections.nCopies((int) images.size(0), ""), false).rewards();
    }
  }

  private static void checkPreprocess(ClipModel clip, ClipPreprocess preprocess) {
    checkArgument(clip != null, "clip must not be null");
    checkArgument(preprocess != null, "preprocess must not be null");
    checkArgument(preprocess.size() == clip.visionConfig().imageSize(),
        "preprocessing to %s×%s, but the CLIP's image tower takes %s×%s (vision_config.image_size)",
        preprocess.size(), preprocess.size(), clip.visionConfig().imageSize(), clip.visionConfig().imageSize());
  }

  private static void checkImages(INDArray images) {
    checkArgument(images != null, "images must not be null");
    checkArgument(images.rank() == 4 && images.size(1) == 3 && images.size(0) > 0,
        "images: shape %s; expected [B, 3, H, W] RGB in [0, 1]", java.util.Arrays.toString(images.shape()));
    double min = images.minNumber().doubleValue();
    double max = images.maxNumber().doubleValue();
    checkArgument(min >= 0 && max <= 1, "images: values in [%s, %s]; expected RGB in [0, 1]", min, max);
  }
}
