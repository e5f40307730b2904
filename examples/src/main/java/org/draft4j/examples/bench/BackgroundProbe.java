package org.draft4j.examples.bench;

import org.draft4j.engine.ExecutionContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.draft4j.examples.cli.Choices;
import org.draft4j.examples.support.PromptGrid;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.samplers.DdimSchedulerConfig;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code probe-background}: does the base model take the background colour from the seed rather
 * than the caption? (SD's scaled-linear schedule keeps signal at t = 999, ᾱ = 0.0047, so the mean of
 * x_T over 32² pixels, std ≈ 0.03, reaches the image.) 16 held-out captions × 4 seeds, DDIM 25,
 * guidance 7.5: the within-caption Pearson correlation of x_T's per-channel mean with the image
 * border's channel value, the share of the background's variance the caption explains, the
 * background's response when x_T's red mean alone is shifted, and the oracle protocol's fidelity.
 */
@Command(name = "probe-background", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Does the base model take its background from the seed? Correlations and a shift experiment on"
        + " 64 samples.")
public final class BackgroundProbe implements Callable<Integer> {
  private static final int CAPTIONS = 16;
  private static final int SEEDS = 4;

  @Option(names = "--unet", description = "UNet weights to probe instead of the shipped ones (a pretraining"
      + " checkpoint or a weights file; the shipped tokenizer and text encoder stay)")
  Path unet;

  @Option(names = "--scheduler", description = "model (the model's own scheduler config) | sd15 | zero-snr"
      + " (default: ${DEFAULT-VALUE})")
  @Choices({"model", "sd15", "zero-snr"})
  String scheduler = "model";

  BackgroundProbe() {}

  /** Mean of the 2-pixel border of image b, channel c (images in [-1, 1]). */
  static double border(INDArray img, int b, int c) {
    double s = 0;
    int n = 0;
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        if (y < 2 || y > 29 || x < 2 || x > 29) {
          s += img.getDouble(b, c, y, x);
          n++;
        }
      }
    }
    return s / n;
  }

  @Override
  public Integer call() throws IOException {
    TextToImageModel model = ShapesWorldModel.pretrained();
    if (unet != null) {
      try (SafetensorsFile cf = SafetensorsFile.open(unet)) {
        boolean checkpoint = cf.keys().stream().anyMatch(n -> n.startsWith("unet/"));
        model.unet().parameters().asMap().forEach((k, v) -> v.assign(cf.get(checkpoint ? "unet/" + k : k)));
      }
    }
    String schedule = scheduler;
    DdimSampler s = switch (schedule) {
      case "model" -> Ddim.steps(25, model).guidance(7.5);
      case "sd15" -> Ddim.steps(25, DdimSchedulerConfig.sd15()).guidance(7.5);
      case "zero-snr" -> Ddim.steps(25, DdimSchedulerConfig.zeroTerminalSnr()).guidance(7.5);
      default -> throw new IllegalArgumentException("--scheduler = \"" + schedule + "\"; allowed: model, sd15, zero-snr");
    };
    UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
    int n = CAPTIONS * SEEDS;
    List<String> prompts = new ArrayList<>();
    long[] seeds = new long[n];
    for (int i = 0; i < n; i++) {
      prompts.add(ShapesWorld.scene(2, i / SEEDS).caption());
      seeds[i] = 101 + i;
    }
    INDArray x = NoiseSource.batch(seeds, 0, 3, 32, 32);
    Conditioning cond = new Conditioning(model.encode(prompts), model.encode(Collections.nCopies(n, "")));
    INDArray img = s.sample(den, cond, x, seeds, null);
    System.out.printf("within-caption Pearson(seed channel mean, background channel) over %d samples x 3 channels"
        + " = %.3f%n", n, withinCaptionCorrelation(x, img));
    System.out.printf("share of background variance explained by the caption: %.3f%n", explainedByCaption(img));
    for (double d : new double[] {0.05, 0.1}) {
      INDArray shifted = x.dup();
      shifted.get(NDArrayIndex.all(), NDArrayIndex.point(0)).addi(d);
      INDArray moved = s.sample(den, cond, shifted, seeds, null);
      double dr = 0;
      double dg = 0;
      for (int b = 0; b < n; b++) {
        dr += (border(moved, b, 0) - border(img, b, 0)) / n;
        dg += (border(moved, b, 1) - border(img, b, 1)) / n;
      }
      System.out.printf("shift x_T red-channel mean by %+.2f (%.1f std of the mean): background red %+.3f, green"
          + " %+.3f (image units in [-1,1])%n", d, d / (1 / 32.0), dr, dg);
    }
    // the base model's protocol (PretrainShapesWorld's report): 64 captions of world seed 7 x 2 sampling seeds
    List<String> caps = ShapesWorld.captions(7, 64);
    System.out.println("oracle fidelity, 64 captions x 2 seeds, DDIM 25, guidance 7.5: "
        + PromptGrid.fidelity(PromptGrid.generate(model, den, caps, 2, s), caps, 2));
    return 0;
  }

  /** Pearson correlation of x_T's channel mean and the border's channel value, within captions, over channels. */
  private static double withinCaptionCorrelation(INDArray x, INDArray img) {
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int c = 0; c < 3; c++) {
      for (int p = 0; p < CAPTIONS; p++) {
        double[] xs = new double[SEEDS];
        double[] ys = new double[SEEDS];
        double mx = 0;
        double my = 0;
        for (int k = 0; k < SEEDS; k++) {
          int b = p * SEEDS + k;
          xs[k] = x.get(NDArrayIndex.point(b), NDArrayIndex.point(c)).meanNumber().doubleValue();
          ys[k] = border(img, b, c);
          mx += xs[k] / SEEDS;
          my += ys[k] / SEEDS;
        }
        for (int k = 0; k < SEEDS; k++) {
          sxy += (xs[k] - mx) * (ys[k] - my);
          sxx += (xs[k] - mx) * (xs[k] - mx);
          syy += (ys[k] - my) * (ys[k] - my);
        }
      }
    }
    return sxy / Math.sqrt(sxx * syy);
  }

  /** 1 − within-caption variance / total variance of the border's channel values. */
  private static double explainedByCaption(INDArray img) {
    int n = CAPTIONS * SEEDS;
    double total = 0;
    double within = 0;
    for (int c = 0; c < 3; c++) {
      double grand = 0;
      for (int b = 0; b < n; b++) {
        grand += border(img, b, c) / n;
      }
      for (int p = 0; p < CAPTIONS; p++) {
        double m = 0;
        for (int k = 0; k < SEEDS; k++) {
          m += border(img, p * SEEDS + k, c) / SEEDS;
        }
        for (int k = 0; k < SEEDS; k++) {
          double v = border(img, p * SEEDS + k, c);
          total += (v - grand) * (v - grand);
          within += (v - m) * (v - m);
        }
      }
    }
    return 1 - within / total;
  }
}
