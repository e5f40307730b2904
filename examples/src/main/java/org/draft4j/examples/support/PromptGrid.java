package org.draft4j.examples.support;

import org.draft4j.engine.ExecutionContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.shapesworld.ShapesOracle;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Sampler;
import org.draft4j.train.ConsoleProgress;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Prompts × seeds through a model: the rows of a sample grid, and the oracle's verdict on them. */
public final class PromptGrid {
  /** The first sampling seed of a grid's rows. */
  public static final long FIRST_SEED = 1000;

  private PromptGrid() {}

  /**
   * One row of images {@code [nSeeds,3,H,W]} in [0,1] per prompt, sampling seeds 1000, 1001, … (the
   * same seeds for every prompt, so rows are comparable), with a progress bar.
   */
  public static List<INDArray> generate(TextToImageModel model, UNetDenoiser den, List<String> prompts, int nSeeds,
      Sampler sampler) {
    return generate(model, den, prompts, nSeeds, FIRST_SEED, sampler);
  }

  /**
   * As {@link #generate(TextToImageModel, UNetDenoiser, List, int, Sampler)}, seeds from
   * {@code firstSeed} (a blended chain, {@code DdimSampler.blended}, gives annealed importance guidance).
   */
  public static List<INDArray> generate(TextToImageModel model, UNetDenoiser den, List<String> prompts, int nSeeds,
      long firstSeed, Sampler sampler) {
    List<INDArray> rows = new ArrayList<>();
    ProgressBar bar = ConsoleProgress.bar(System.err, "sample", prompts.size(), 0);
    long[] sh = model.sampleShape();
    long[] seeds = new long[nSeeds];
    for (int s = 0; s < nSeeds; s++) {
      seeds[s] = firstSeed + s;
    }
    // the evaluator only decodes; its arrays are the caller's, its compiled graphs are freed here
    try (RewardEvaluator images = new RewardEvaluator((g, img) -> img.mean(1, 2, 3), model.decoder(), ExecutionContext.shared())) {
      for (int p = 0; p < prompts.size(); p++) {
        List<String> batch = Collections.nCopies(nSeeds, prompts.get(p));
        Conditioning c = new Conditioning(model.encode(batch), model.encode(Collections.nCopies(nSeeds, "")));
        INDArray xT = NoiseSource.batch(seeds, 0x78540000L, sh[0], sh[1], sh[2]);
        INDArray x0 = sampler.sample(den, c, xT, seeds);
        rows.add(images.evaluate(x0, batch, false).images());
        bar.step();
      }
    }
    bar.close();
    return rows;
  }

  /** Oracle accuracy per attribute of {@code rows} (from {@link #generate}) against their prompts. */
  public static Map<String, Double> fidelity(List<INDArray> rows, List<String> prompts, int nSeeds) {
    List<String> caps = new ArrayList<>();
    for (String p : prompts) {
      caps.addAll(Collections.nCopies(nSeeds, p));
    }
    return ShapesOracle.accuracy(org.nd4j.linalg.factory.Nd4j.concat(0, rows.toArray(new INDArray[0])), caps);
  }
}
