package org.draft4j.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * LoRA interpolation, as in the DRaFT paper's figure: with two adapters A and B attached at once,
 * row w of the grid samples the model with scales {@code (1−w)·A + w·B} for w in {@code --weights};
 * with only A, row w samples the model with A at scale w (w = 0 is the base model). Every row uses
 * the same prompts and seeds. Beside the PNG, {@code <out>.json} records each row's RMS pixel
 * distance from the first row.
 *
 * <p>Flags: {@code --a FILE} (required), {@code --b FILE}, {@code --weights LIST} (0,0.25,0.5,0.75,1),
 * {@code --prompts N} (4 ShapesWorld captions of seed 2), {@code --steps N} (25), {@code --guidance G} (5),
 * {@code --out FILE} (mix.png), {@code --model DIR}.
 */
public final class Mix {
  private Mix() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> f = Flags.parse(args, "a", "b", "weights", "prompts", "steps", "guidance", "out", "model");
    if (!f.containsKey("a")) {
      throw new IllegalArgumentException("--a FILE is required (a LoRA safetensors file)");
    }
    double[] weights = FlagValues.numbers("weights", f.getOrDefault("weights", "0,0.25,0.5,0.75,1"));
    int nPrompts = FlagValues.integer(f, "prompts", 4, 1, 10_000);
    int steps = FlagValues.integer(f, "steps", 25, 1, 1000);
    double guidance = FlagValues.number(f, "guidance", 5, 0, false, Double.MAX_VALUE);
    for (String k : new String[] {"a", "b"}) {
      if (f.containsKey(k) && !java.nio.file.Files.isRegularFile(Path.of(f.get(k)))) {
        throw new IllegalArgumentException("--" + k + " \"" + f.get(k) + "\": no such file");
      }
    }
    TextToImageModel model = f.containsKey("model") ? ShapesWorldModel.load(Path.of(f.get("model")))
        : ShapesWorldModel.pretrained();
    List<String> prompts = ShapesWorld.captions(2, nPrompts);
    DdimSampler sampler = Ddim.steps(steps, model).guidance(guidance);
    UNetDenoiser den = model.newDenoiser();
    LoraAdapter a = LoraAdapter.load(Path.of(f.get("a")), "a");
    den.attach(a);
    LoraAdapter b = null;
    if (f.containsKey("b")) {
      b = LoraAdapter.load(Path.of(f.get("b")), "b");
      den.attach(b);
    }
    List<INDArray> rows = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (double w : weights) {
      if (b == null) {
        a.setScale(w);
        labels.add(String.format(Locale.ROOT, "A x %.2f", w));
      } else {
        a.setScale(1 - w);
        b.setScale(w);
        labels.add(String.format(Locale.ROOT, "%.2fA + %.2fB", 1 - w, w));
      }
      List<INDArray> perPrompt = PromptGrid.generate(model, den, prompts, 2, sampler);
      rows.add(org.nd4j.linalg.factory.Nd4j.concat(0, perPrompt.toArray(new INDArray[0])));
    }
    Path out = Path.of(f.getOrDefault("out", "mix.png"));
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    Images.grid(out, rows, labels, 3);
    // how far each row moved from the first: RMS pixel distance, mean over the images of a row
    List<Double> dist = new ArrayList<>();
    for (INDArray r : rows) {
      dist.add(r.distance2(rows.get(0)) / Math.sqrt(r.length()));
    }
    Path json = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.png$", "") + ".json");
    new MixReport(b == null ? List.of(f.get("a")) : List.of(f.get("a"), f.get("b")),
        java.util.Arrays.stream(weights).boxed().toList(), dist, prompts).write(json);
    System.out.println("RMS distance of each row from the first: " + dist + " (" + json + ")");
    System.out.println("wrote " + out.toAbsolutePath() + " (" + weights.length + " rows x " + prompts.size()
        + " prompts x 2 seeds; prompts: " + String.join(" | ", prompts) + ")");
  }
}
