package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.testing.InteropFixtures;
import org.draft4j.text.ClipTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A tiny open_clip CLIP saved as HPSv2 saves its checkpoints ({@code {"state_dict": …}}, fp16), with
 * the outputs HPSv2's own vendored open_clip computed (interop/make_fixtures.py, make_open_clip):
 * preprocessing by img_score.py's eval transform, features, {@code diagonal(image_features @ text_features.T)}.
 */
class HpsFixtureTest {
  static Map<String, INDArray> ref;
  static ClipModel clip;

  @BeforeAll
  static void load() throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(InteropFixtures.require("open_clip/reference.safetensors"))) {
      ref = f.readAll();
    }
    // the fixture's 1000-token BPE (the first 486 merges of OpenAI's), shipped with sd-tiny's tokenizer
    Path tok = InteropFixtures.require("sd-tiny/diffusers/tokenizer");
    clip = OpenClipCheckpoint.load(InteropFixtures.require("open_clip/hps-tiny.pt"),
        OpenClipConfig.load(InteropFixtures.require("open_clip/model_config.json")),
        ClipTokenizer.load(tok.resolve("vocab.json"), tok.resolve("merges.txt"), 77));
  }

  /** max |a − b| / max |b|, as the fixture generator's precision.json measures. */
  static double relMax(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue()
        / b.amaxNumber().doubleValue();
  }

  @Test
  void imageFeaturesOfTheReferencePixelsMatch() {
    INDArray got = ClipFeatures.image(clip, ref.get("pixel_values"));
    assertTrue(relMax(got, ref.get("image_features")) < 1e-5, "relative difference " + relMax(got,
        ref.get("image_features")));
  }

  @Test
  void textFeaturesOfTheReferenceIdsMatch() {
    INDArray got = ClipFeatures.textAtArgmax(clip, ref.get("text_ids"));
    assertTrue(relMax(got, ref.get("text_features")) < 1e-5, "relative difference " + relMax(got,
        ref.get("text_features")));
  }

  @Test
  void tokenizerGivesOpenClipsIdsUpToThePadding() {
    List<String> prompts = List.of("a photo of a cat", "an oil painting of the sea at night, high quality");
    INDArray ids = ClipModel.tokenIds(clip.tokenizer(), prompts).castTo(DataType.LONG);
    INDArray want = ref.get("text_ids").castTo(DataType.LONG);
    for (int i = 0; i < prompts.size(); i++) {
      int eos = want.getRow(i).argMax().getInt(0);
      for (int j = 0; j < want.size(1); j++) {
        // open_clip pads with 0 after the end token, draft4j with the end token
        long expected = j <= eos ? want.getLong(i, j) : clip.tokenizer().eosId();
        assertEquals(expected, ids.getLong(i, j), "prompt " + i + " position " + j);
      }
    }
  }

  @Test
  void logitScaleIsTheCheckpoints() {
    assertEquals(ref.get("logit_scale").getDouble(0), clip.logitScale(), 1e-5 * clip.logitScale());
  }

  @Test
  void hpsV2RewardOfTheReferenceImagesIsImgScoresScore() {
    // whole pipeline: [0,1] images -> ResizeMaxSize preprocessing -> towers -> cosine, tokenizing the prompts.
    // The fixture's hps_score is img_score.py under torchvision 0.14 (tensors resized without antialias).
    List<String> prompts = List.of("a photo of a cat", "an oil painting of the sea at night, high quality");
    INDArray got = Rewards.score(Rewards.hpsV2(clip, new ClipPreprocess(32, ClipPreprocess.Interpolation.BICUBIC,
        ClipPreprocess.Fit.PAD)), ref.get("images"), prompts);
    INDArray want = ref.get("hps_score");
    assertTrue(relMax(got, want) < 1e-5, "got " + got + ", HPSv2 " + want);
  }

  /**
   * The default {@link Rewards#hpsV2(ClipModel)} is img_score.py under torchvision ≥ 0.17 (antialiased
   * tensor resize): the score of HPSv2's own {@code pixel_values_antialias}, through the towers
   * (matched to open_clip by {@link #imageFeaturesOfTheReferencePixelsMatch}).
   */
  @Test
  void defaultHpsV2RewardIsImgScoresScoreWithAntialias() {
    List<String> prompts = List.of("a photo of a cat", "an oil painting of the sea at night, high quality");
    INDArray got = Rewards.score(Rewards.hpsV2(clip), ref.get("images"), prompts);
    INDArray want = ClipFeatures.image(clip, ref.get("pixel_values_antialias")).mul(ref.get("text_features"))
        .sum(1);
    assertTrue(relMax(got, want) < 1e-5, "got " + got + ", HPSv2 with antialias " + want);
    assertTrue(relMax(got, ref.get("hps_score")) > 1e-2, "the antialiased score is another one: " + got);
  }

  /** HPSv2's transform with antialias ({@code ResizeMaxSize}, torchvision's antialiased tensor resize). */
  @Test
  void antialiasedPreprocessingMatchesImgScoresTransformWithAntialias() {
    INDArray px = preprocess(ClipPreprocess.hpsV2(32), ref.get("images"));
    double diff = px.castTo(DataType.DOUBLE).sub(ref.get("pixel_values_antialias").castTo(DataType.DOUBLE))
        .amaxNumber().doubleValue();
    assertTrue(diff <= ClipPreprocessTest.TOLERANCE / 0.26130258, "max |difference| " + diff);
  }

  /**
   * torchvision's {@code Resize(32, BICUBIC, antialias=True)} + {@code CenterCrop(32)} (open_clip's
   * shortest-edge transform) on the 48×40 images: 38×32, cropped at round(6 / 2) = 3.
   */
  @Test
  void openAiPreprocessingMatchesTorchvisionsResizeAndCenterCrop() {
    INDArray px = preprocess(ClipPreprocess.openAi(32), ref.get("images"));
    double diff = px.castTo(DataType.DOUBLE).sub(ref.get("pixel_values_centercrop").castTo(DataType.DOUBLE))
        .amaxNumber().doubleValue();
    assertTrue(diff <= ClipPreprocessTest.TOLERANCE / 0.26130258, "max |difference| " + diff);
  }

  /**
   * draft4j's preprocessing (bicubic without antialias, ResizeMaxSize's sizes and padding) against the
   * reference {@code pixel_values} (torchvision 0.14 resizing tensors without antialias). Bound: each
   * value is two passes of 4-tap sums over inputs in [0, 1], with Σ|w| ≤ 1.375 per pass (the a = −0.75
   * kernel at offset ½); rounding the weights, products and sums to float32 costs each implementation
   * at most 6ε relative per pass (ε = 2⁻²⁴), so they differ by ≤ 2·2·6ε·1.375² before normalization,
   * divided by the smallest std (0.2613) after it, plus rounding of values ≤ 10 in magnitude: ≈ 1.2e-5.
   */
  @Test
  void preprocessingMatchesImgScoresTransform() {
    INDArray px = preprocess(new ClipPreprocess(32, ClipPreprocess.Interpolation.BICUBIC, ClipPreprocess.Fit.PAD),
        ref.get("images"));
    double eps = Math.ulp(1f) / 2;
    double bound = (2 * 2 * 6 * eps * 1.375 * 1.375 + 2 * 10 * eps) / 0.26130258;
    double diff = px.castTo(DataType.DOUBLE).sub(ref.get("pixel_values").castTo(DataType.DOUBLE)).amaxNumber()
        .doubleValue();
    assertTrue(diff <= bound, "max |difference| " + diff + " > " + bound);
  }

  @Test
  void sizesOfNoPublishedConfigAskForTheJson() {
    Path pt = InteropFixtures.require("open_clip/hps-tiny.pt");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenClipCheckpoint.load(pt));
    assertTrue(e.getMessage().contains(pt.toString()) && e.getMessage().contains("vocab 1000, width 64")
        && e.getMessage().contains("model-config JSON"), e.getMessage());
  }

  @Test
  void aTorchFileOfAnotherModelIsRefusedNamingItsKeys() {
    Path pth = InteropFixtures.require("aesthetic/head.pth");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rewards.hpsV2(pth));
    assertTrue(e.getMessage().contains(pth.toString()) && e.getMessage().contains("not an open_clip")
        && e.getMessage().contains("layers.0.weight"), e.getMessage());
  }

  static INDArray preprocess(ClipPreprocess pre, INDArray images) {
    SameDiff sd = SameDiff.create();
    SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3, images.size(2), images.size(3));
    SDVariable y = pre.apply(sd, x, images.size(2), images.size(3));
    return sd.output(Map.of("x", images.castTo(DataType.FLOAT)), y.name()).get(y.name());
  }
}
