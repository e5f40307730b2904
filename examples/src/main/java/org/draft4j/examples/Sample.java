package org.draft4j.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.lora.LoraAdapter;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
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

  public static void main(String[] args) throws Exception {
    Map<String, String> f = Flags.parse(args, "out", "prompts", "seeds", "steps", "guidance", "lora", "scale",
        "model", "oracle", "count");
    int count = FlagValues.integer(f, "count", 16, 1, 10_000);
    int nSeeds = FlagValues.integer(f, "seeds", 4, 1, 10_000);
    int steps = FlagValues.integer(f, "steps", 25, 1, 1000);
    double guidance = FlagValues.number(f, "guidance", 7.5, 0, false, Double.MAX_VALUE);
    boolean oracle = FlagValues.bool(f, "oracle", false);
    String[] loraFiles = f.containsKey("lora") ? f.get("lora").split(",") : new String[0];
    double[] scales = f.containsKey("scale") ? FlagValues.numbers("scale", f.get("scale")) : null;
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
    DdimSampler sampler = Ddim.steps(steps, model).guidance(guidance);
    UNetDenoiser den = model.newDenoiser();
    for (int i = 0; i < loraFiles.length; i++) {
      LoraAdapter a = LoraAdapter.load(Path.of(loraFiles[i].strip()), "lora" + i);
      a.setScale(scales == null ? 1 : scales[i]);
      den.attach(a);
    }
    List<INDArray> rows = PromptGrid.generate(model, den, prompts, nSeeds, sampler);
    Path out = Path.of(f.getOrDefault("out", "samples.png"));
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    Images.grid(out, rows, prompts, 3);
    if (oracle) {
      System.out.println("oracle prompt fidelity over " + prompts.size() * nSeeds + " samples: "
          + PromptGrid.fidelity(rows, prompts, nSeeds));
    }
    System.out.println("wrote " + out.toAbsolutePath() + " (" + prompts.size() + " prompts × " + nSeeds + " seeds, "
        + sampler + ")");
  }
}
