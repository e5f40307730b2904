package org.draft4j.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.draft4j.lora.LoraAdapter;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.train.ProgressBar;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Prompts × seeds → PNG grid (one row per prompt, one column per seed), with optional LoRAs, each
 * at its own scale (several at once mix, as in the DRaFT paper).
 *
 * <p>Flags: {@code --out FILE} (default samples.png), {@code --prompts FILE} (one a line; default: 16
 * ShapesWorld captions of seed 7), {@code --seeds N} (4), {@code --steps N} (25), {@code --guidance G}
 * (7.5), {@code --lora FILE[,FILE...]}, {@code --scale S[,S...]} (1 each), {@code --model DIR} (default: the shipped model),
 * {@code --count N} (ShapesWorld captions when no prompt file, 16), {@code --oracle true} (print the
 * oracle's per-attribute prompt fidelity over the grid).
 */
public final class Sample {
  private Sample() {}

  /**
   * One row of images {@code [nSeeds,3,H,W]} in [0,1] per prompt, sampling seeds 1000, 1001, … (the
   * same seeds for every prompt, so rows are comparable), with a progress bar.
   */
  static List<INDArray> generate(TextToImageModel model, UNetDenoiser den, List<String> prompts, int nSeeds,
      DdimSampler sampler) {
    RewardEvaluator images = new RewardEvaluator((g, img) -> img.mean(1, 2, 3), model.decoder());
    List<INDArray> rows = new ArrayList<>();
    ProgressBar bar = new ProgressBar(System.err, "sample", prompts.size());
    long[] sh = model.sampleShape();
    long[] seeds = new long[nSeeds];
    for (int s = 0; s < nSeeds; s++) {
      seeds[s] = 1000 + s;
    }
    for (int p = 0; p < prompts.size(); p++) {
      List<String> batch = Collections.nCopies(nSeeds, prompts.get(p));
      Conditioning c = new Conditioning(model.encode(batch), model.encode(Collections.nCopies(nSeeds, "")));
      INDArray x0 = sampler.sample(den, c, NoiseSource.batch(seeds, 0x78540000L, sh[0], sh[1], sh[2]), seeds, null);
      rows.add(images.evaluate(x0, batch, false).images());
      bar.update(p + 1, "");
    }
    return rows;
  }

  /** Oracle accuracy per attribute of {@code rows} (from {@link #generate}) against their prompts. */
  static Map<String, Double> fidelity(List<INDArray> rows, List<String> prompts, int nSeeds) {
    List<String> caps = new ArrayList<>();
    for (String p : prompts) {
      caps.addAll(Collections.nCopies(nSeeds, p));
    }
    return ShapesOracle.accuracy(org.nd4j.linalg.factory.Nd4j.concat(0, rows.toArray(new INDArray[0])), caps);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> f = Flags.parse(args, "out", "prompts", "seeds", "steps", "guidance", "lora", "scale",
        "model", "oracle", "count");
    int count = FlagValues.integer(f, "count", 16, 1, 10_000);
    int nSeeds = FlagValues.integer(f, "seeds", 4, 1, 10_000);
    int steps = FlagValues.integer(f, "steps", 25, 1, 1000);
    double guidance = FlagValues.number(f, "guidance", 7.5, 0, false, Double.MAX_VALUE);
    boolean oracle = FlagValues.bool(f, "oracle", false);
    String[] loraFiles = f.containsKey("lora") ? f.get("lora").split(",") : new String[0];
    double[] scales = f.containsKey("scale") ? Mix.parseWeights("scale", f.get("scale")) : null;
    if (scales != null && scales.length != loraFiles.length) {
      throw new IllegalArgumentException("--scale \"" + f.get("scale") + "\" has " + scales.length
          + " values for " + loraFiles.length + " --lora files; give one scale per file");
    }
    for (String file : loraFiles) {
      if (!Files.isRegularFile(Path.of(file.strip()))) {
        throw new IllegalArgumentException("--lora \"" + file.strip() + "\": no such file");
      }
    }
    TextToImageModel model = f.containsKey("model") ? ShapesWorldModel.load(Path.of(f.get("model")))
        : ShapesWorldModel.pretrained();
    List<String> prompts = f.containsKey("prompts")
        ? Files.readAllLines(Path.of(f.get("prompts"))).stream().map(String::strip).filter(x -> !x.isEmpty()).toList()
        : ShapesWorld.captions(7, count);
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("--prompts \"" + f.get("prompts") + "\": the file has no prompts");
    }
    DdimSampler sampler = Ddim.steps(steps).guidance(guidance);
    UNetDenoiser den = model.newDenoiser();
    for (int i = 0; i < loraFiles.length; i++) {
      LoraAdapter a = LoraAdapter.load(Path.of(loraFiles[i].strip()), "lora" + i);
      a.setScale(scales == null ? 1 : scales[i]);
      den.attach(a);
    }
    List<INDArray> rows = generate(model, den, prompts, nSeeds, sampler);
    Path out = Path.of(f.getOrDefault("out", "samples.png"));
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    Images.grid(out, rows, prompts, 3);
    if (oracle) {
      System.out.println("oracle prompt fidelity over " + prompts.size() * nSeeds + " samples: "
          + fidelity(rows, prompts, nSeeds));
    }
    System.out.println("wrote " + out.toAbsolutePath() + " (" + prompts.size() + " prompts × " + nSeeds + " seeds, "
        + sampler + ")");
  }
}
