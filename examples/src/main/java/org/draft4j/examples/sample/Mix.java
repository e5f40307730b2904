package org.draft4j.examples.sample;

import org.draft4j.engine.ExecutionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.cli.ModelOptions;
import org.draft4j.examples.support.Images;
import org.draft4j.examples.support.PromptGrid;
import org.draft4j.lora.LoraAdapter;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.samplers.Ddim;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.spi.Sampler;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * LoRA interpolation, as in the DRaFT paper's figure: with two adapters A and B attached at once,
 * row w of the grid samples the model with scales {@code (1−w)·A + w·B} for w in {@code --weights};
 * with only A, row w samples the model with A at scale w (w = 0 is the base model). Every row uses
 * the same prompts and seeds. Beside the PNG, {@code <out>.json} records each row's RMS pixel
 * distance from the first row.
 *
 */
@Command(name = "mix", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Interpolate LoRA adapters: rows (1-w)A + wB, or A at scale w; a PNG grid and its distances.")
public final class Mix implements Callable<Integer> {
  @Option(names = "--a", required = true, description = "a LoRA safetensors file")
  Path a;

  @Option(names = "--b", description = "a second LoRA file; without it, rows are A at scale w")
  Path b;

  @Option(names = "--weights", description = "comma-separated w values (default: ${DEFAULT-VALUE})")
  String weights = "0,0.25,0.5,0.75,1";

  @Option(names = "--prompts", description = "ShapesWorld captions of world seed 2 (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000)
  int prompts = 4;

  @Option(names = "--steps", description = "DDIM steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 1000)
  int steps = 25;

  @Option(names = "--guidance", description = "classifier-free guidance scale (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  double guidance = 5;

  @Option(names = "--out", description = "the PNG grid; its distances go beside it as .json (default:"
      + " ${DEFAULT-VALUE})")
  Path out = Path.of("mix.png");

  @picocli.CommandLine.Mixin ModelOptions model;

  /** A {@code mix} command to parse options into (the results report runs it as a stage). */
  public Mix() {}

  @Override
  public Integer call() throws Exception {
    double[] weights = Cli.numbers("weights", this.weights);
    for (Path p : b == null ? List.of(a) : List.of(a, b)) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException("--" + (p == a ? "a" : "b") + " \"" + p + "\": no such file");
      }
    }
    TextToImageModel model = this.model.source().load();
    List<String> prompts = ShapesWorld.captions(2, this.prompts);
    Sampler sampler = Ddim.steps(steps, model).guidance(guidance);
    UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
    LoraAdapter a = LoraAdapter.load(this.a, "a");
    den.attach(a);
    LoraAdapter b = null;
    if (this.b != null) {
      b = LoraAdapter.load(this.b, "b");
      den.attach(b);
    }
    List<INDArray> rows = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (double w : weights) {
      if (b == null) {
        a.setScale(w);
        labels.add(String.format(Locale.ROOT, "A \u00d7 %.2f", w));
      } else {
        a.setScale(1 - w);
        b.setScale(w);
        labels.add(String.format(Locale.ROOT, "%.2fA + %.2fB", 1 - w, w));
      }
      List<INDArray> perPrompt = PromptGrid.generate(model, den, prompts, 2, sampler);
      rows.add(org.nd4j.linalg.factory.Nd4j.concat(0, perPrompt.toArray(new INDArray[0])));
    }
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    // one row per weight, labelled with its scales; the prompts captioned once, above the first row
    List<String> prompt = new ArrayList<>();
    for (String p : prompts) {
      prompt.addAll(java.util.Collections.nCopies(2, p));
    }
    String how = String.format(Locale.ROOT, "; DDIM, %d steps, guidance %s; sampling seeds %d, %d per prompt", steps,
        guidance, PromptGrid.FIRST_SEED, PromptGrid.FIRST_SEED + 1);
    Images.Grid grid = new Images.Grid(3).title(b == null
        ? "rows: the LoRA A = " + this.a.getFileName() + " at scale w" + how
        : "rows: (1-w) A + w B, A = " + this.a.getFileName() + ", B = " + this.b.getFileName() + how);
    for (int r = 0; r < rows.size(); r++) {
      grid.row(rows.get(r), labels.get(r), r == 0 ? Images.byPrompt(prompt) : List.of());
    }
    grid.write(out);
    // how far each row moved from the first: RMS pixel distance, mean over the images of a row
    List<Double> dist = new ArrayList<>();
    for (INDArray r : rows) {
      dist.add(r.distance2(rows.get(0)) / Math.sqrt(r.length()));
    }
    Path json = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.png$", "") + ".json");
    new MixReport(b == null ? List.of(this.a.toString()) : List.of(this.a.toString(), this.b.toString()),
        java.util.Arrays.stream(weights).boxed().toList(), dist, prompts).write(json);
    System.out.println("RMS distance of each row from the first: " + dist + " (" + json + ")");
    System.out.println("wrote " + out.toAbsolutePath() + " (" + weights.length + " rows x " + prompts.size()
        + " prompts x 2 seeds; prompts: " + String.join(" | ", prompts) + ")");
    return 0;
  }
}
