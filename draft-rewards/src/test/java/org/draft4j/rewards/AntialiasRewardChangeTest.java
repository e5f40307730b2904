package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.BiFunction;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.nn.Parameters;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What the antialiased default changes at Stable Diffusion's size, 512² → 224²: the preprocessed
 * pixels, and the rewards and their image gradients of a small random CLIP at 224² (patch 32, width
 * 16, 2 layers; weights ×10 as {@link TinyClip}) with the old (plain bicubic) and new (antialiased)
 * preprocessing, on synthetic 512² images: a constant grey, a smooth one (low-frequency colour
 * waves), one with hard-edged shapes, one with fine stripes (period 3 px, above the 224² grid's
 * Nyquist limit of 4.57 px) and near-uniform noise. Square images: CROP, torchvision's crop and PAD
 * are the same plain resize, so the three rewards differ only in their heads.
 */
class AntialiasRewardChangeTest {
  static final int N = 512;
  static final List<String> PROMPTS = List.of("a red star", "a blue square", "a red star", "a blue square",
      "a red star");
  static final String[] KINDS = {"grey", "smooth", "shapes", "stripes", "noise"};

  static INDArray images() {
    float[] v = new float[KINDS.length * 3 * N * N];
    for (int b = 0; b < KINDS.length; b++) {
      for (int c = 0; c < 3; c++) {
        float[][] noise = ClipPreprocessTest.image(c, N, N, 7);
        for (int i = 0; i < N; i++) {
          for (int j = 0; j < N; j++) {
            double x = switch (KINDS[b]) {
              case "grey" -> 0.4;
              case "smooth" -> 0.5 + 0.25 * Math.sin(2 * Math.PI * (i * (c + 1) + 2 * j) / 400.0)
                  + 0.2 * Math.cos(2 * Math.PI * (3 * i - j * c) / 350.0);
              case "shapes" -> shapes(c, i, j);
              case "stripes" -> 0.5 + 0.4 * Math.sin(2 * Math.PI * (i + 2 * j) / 3.0 / Math.sqrt(5) + c);
              default -> noise[i][j];
            };
            v[((b * 3 + c) * N + i) * N + j] = (float) Math.min(1, Math.max(0, x));
          }
        }
      }
    }
    return Nd4j.create(v, new long[] {KINDS.length, 3, N, N}, 'c');
  }

  /** A disc, a rectangle and a triangle, each in a flat colour, on a vertical gradient. */
  static double shapes(int c, int i, int j) {
    if ((i - 180) * (i - 180) + (j - 200) * (j - 200) < 90 * 90) {
      return new double[] {0.9, 0.1, 0.1}[c];
    }
    if (i > 300 && i < 460 && j > 260 && j < 470) {
      return new double[] {0.1, 0.2, 0.85}[c];
    }
    if (i > 320 && j > 40 && j - 40 < (i - 320) * 1.2 && j < 240) {
      return new double[] {0.95, 0.9, 0.2}[c];
    }
    return 0.2 + 0.5 * i / N;
  }

  static ClipModel clip224() {
    ClipVisionConfig vision = new ClipVisionConfig(16, 32, 2, 2, 224, 32, 6, "quick_gelu", 1e-5);
    ClipTextConfig text = new ClipTextConfig(TinyClip.VOCAB.vocab().size(), 8, 16, 1, 2, 8, "quick_gelu", 1e-5);
    ClipModel clip = ClipModel.random(text, vision, 6, TinyClip.VOCAB.tokenizer(8), 21);
    clip.parameters().asMap().forEach((k, a) -> {
      if (!k.contains("norm") && !k.equals("logit_scale")) {
        a.muli(10);
      }
    });
    return clip;
  }

  static AestheticHead head() {
    Parameters hp = Parameters.random(22);
    new AestheticHead(hp, 6);
    return new AestheticHead(Parameters.of(hp.asMap(), "head.safetensors"), 6);
  }

  static double cosine(INDArray a, INDArray b) {
    INDArray x = a.castTo(DataType.DOUBLE).reshape(-1);
    INDArray y = b.castTo(DataType.DOUBLE).reshape(-1);
    return x.mul(y).sumNumber().doubleValue() / (x.norm2Number().doubleValue() * y.norm2Number().doubleValue());
  }

  /**
   * What a reward's gradient sees: column {@code j} of the {@code [224, 512]} matrix summed is
   * {@code ∂(Σ_i y_i)/∂x_j}, the weight input pixel {@code j} gets in the output. The plain 4-tap
   * kernel at a stride of 512/224 = 2.29 px weights pixels unevenly, in a fixed period-16 pattern
   * (some negatively), which every reward gradient then carries; the antialiased kernel gives each
   * interior pixel 224/512 = 0.4375 within 1%.
   */
  @Test
  void plainBicubicWeightsInputPixelsUnevenly() {
    INDArray plain = ClipPreprocess.resizeMatrix(N, 224, ClipPreprocess.Interpolation.BICUBIC).sum(0);
    INDArray aa = ClipPreprocess.resizeMatrix(N, 224, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS).sum(0);
    INDArray aaInterior = aa.get(NDArrayIndex.interval(8, N - 8));
    double plainRange = plain.maxNumber().doubleValue() - plain.minNumber().doubleValue();
    String msg = String.format("column sums: plain [%.4f, %.4f], antialiased interior [%.4f, %.4f]",
        plain.minNumber().doubleValue(), plain.maxNumber().doubleValue(), aaInterior.minNumber().doubleValue(),
        aaInterior.maxNumber().doubleValue());
    System.out.println("512 -> 224 " + msg);
    assertTrue(plainRange > 1 && plain.minNumber().doubleValue() < 0, msg);
    assertTrue(aaInterior.sub(224.0 / N).amaxNumber().doubleValue() < 0.01 * 224 / N, msg);
  }

  @Test
  void antialiasingChangesPixelsAndRewardsOfDetailedImagesOnly() {
    INDArray images = images();
    ClipPreprocess plain = new ClipPreprocess(224, ClipPreprocess.Interpolation.BICUBIC);
    ClipPreprocess aa = ClipPreprocess.huggingFace(224);
    INDArray dpx = HpsFixtureTest.preprocess(plain, images).sub(HpsFixtureTest.preprocess(aa, images));
    double[] pixel = new double[KINDS.length];
    double[] rms = new double[KINDS.length];
    StringBuilder out = new StringBuilder("512² -> 224², plain bicubic vs antialiased (normalized units):\n");
    for (int b = 0; b < KINDS.length; b++) {
      INDArray d = dpx.get(NDArrayIndex.point(b)).castTo(DataType.DOUBLE);
      pixel[b] = d.amaxNumber().doubleValue();
      rms[b] = Math.sqrt(d.mul(d).meanNumber().doubleValue());
      out.append(String.format("  %-8s pixels max |Δ| %.4f, rms %.4f%n", KINDS[b], pixel[b], rms[b]));
    }
    ClipModel clip = clip224();
    AestheticHead head = head();
    List<BiFunction<ClipModel, ClipPreprocess, Reward>> rewards = List.of(Rewards::pickScore, Rewards::hpsV2,
        (c, p) -> Rewards.aesthetic(c, head, p));
    ExecutionContext ctx = ExecutionContext.shared();
    for (BiFunction<ClipModel, ClipPreprocess, Reward> r : rewards) {
      Reward old = r.apply(clip, plain);
      Reward now = r.apply(clip, new ClipPreprocess(224, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS,
          ClipPreprocess.Fit.CROP));
      RewardEvaluator eo = new RewardEvaluator(old, ImageDecoder.identity(), ctx);
      RewardEvaluator en = new RewardEvaluator(now, ImageDecoder.identity(), ctx);
      RewardEvaluator.Result ro = eo.evaluate(images, PROMPTS, true);
      RewardEvaluator.Result rn = en.evaluate(images, PROMPTS, true);
      INDArray vo = ro.rewards().castTo(DataType.DOUBLE);
      INDArray vn = rn.rewards().castTo(DataType.DOUBLE);
      double spread = vo.get(NDArrayIndex.interval(1, KINDS.length)).stdNumber().doubleValue();
      out.append(String.format("  %s (spread over the 4 non-grey images under the old preprocessing: std %.4f)%n",
          old.name(), spread));
      for (int b = 0; b < KINDS.length; b++) {
        double g = cosine(ro.gradient().get(NDArrayIndex.point(b)), rn.gradient().get(NDArrayIndex.point(b)));
        out.append(String.format("    %-8s old %.5f new %.5f Δ %+.5f; cos(∇old, ∇new) %.3f%n", KINDS[b],
            vo.getDouble(b), vn.getDouble(b), vn.getDouble(b) - vo.getDouble(b), g));
      }
      // both kernels keep a constant image constant: the grey image's reward cannot move
      double grey = Math.abs(vn.getDouble(0) - vo.getDouble(0));
      assertTrue(grey < 1e-4 * Math.max(1, Math.abs(vo.getDouble(0))), old.name() + " of grey moved by " + grey);
      eo.close();
      en.close();
    }
    System.out.print(out);
    // constants are kept (weights sum to 1, float rounding only); smooth content barely moves; content
    // above the output grid's Nyquist limit is filtered out by the new resize and aliased by the old one
    assertTrue(pixel[0] < 1e-5, out.toString());
    assertTrue(pixel[1] < 0.02, out.toString());
    assertTrue(rms[3] > 0.3 && rms[4] > 0.3, out.toString());
  }
}
