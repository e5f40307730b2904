package org.draft4j.examples.sample;

import org.draft4j.engine.ExecutionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
import org.draft4j.samplers.DdimSampler;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.spi.Sampler;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prompts × seeds → PNG grid (one row per prompt, one column per seed), with optional LoRAs, each
 * at its own scale (several at once mix, as in the DRaFT paper).
 *
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Prompts x seeds -> PNG grid, with optional LoRAs at their scales; --oracle true prints the"
        + " oracle's prompt fidelity.")
public final class Sample implements Callable<Integer> {
  @Option(names = "--out", description = "the PNG grid (default: ${DEFAULT-VALUE})")
  Path out = Path.of("samples.png");

  @Option(names = "--prompts", description = "prompts, one a line (default: --count ShapesWorld captions of world"
      + " seed 7)")
  Path prompts;

  @Option(names = "--count", description = "ShapesWorld captions when no --prompts (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000)
  int count = 16;

  @Option(names = "--seeds", description = "sampling seeds per prompt (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000)
  int seeds = 4;

  @Option(names = "--steps", description = "DDIM steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 1000)
  int steps = 25;

  @Option(names = "--guidance", description = "classifier-free guidance scale (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  double guidance = 7.5;

  @Option(names = "--lora", split = ",", description = "LoRA files (comma-separated), mixed")
  List<Path> lora = List.of();

  @Option(names = "--scale", description = "one scale per --lora file, comma-separated (default: 1 each)")
  String scale;

  @picocli.CommandLine.Mixin ModelOptions model;

  @Option(names = "--blend", description = "annealed importance guidance (NeMo-Aligner's AIG) between the base model"
      + " and the LoRAs, weight of the LoRAs at step i of n: base | draft | linear (i/n) | power_P ((i/n)^P) |"
      + " step_F (1 once i/n >= F); needs --lora (default: draft, the LoRAs at every step)")
  String blend;

  @Option(names = "--oracle", arity = "1", description = "print the oracle's per-attribute prompt fidelity: true |"
      + " false (default: ${DEFAULT-VALUE})")
  boolean oracle = false;

  Sample() {}

  @Override
  public Integer call() throws Exception {
    double[] scales = scale != null ? Cli.numbers("scale", scale) : null;
    if (scales != null && scales.length != lora.size()) {
      throw new IllegalArgumentException("--scale \"" + scale + "\" has " + scales.length
          + " values for " + lora.size() + " --lora files; give one scale per file");
    }
    for (Path file : lora) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("--lora \"" + file + "\": no such file");
      }
    }
    org.draft4j.sampling.BlendSchedule schedule = null;
    if (blend != null) {
      if (lora.isEmpty()) {
        throw new IllegalArgumentException("--blend \"" + blend + "\" needs --lora: it blends the base model with"
            + " the LoRAs");
      }
      try {
        schedule = org.draft4j.sampling.BlendSchedule.parse(blend);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--blend: " + e.getMessage(), e);
      }
    }
    TextToImageModel model = this.model.source().load();
    List<String> prompts = this.prompts != null
        ? Files.readAllLines(this.prompts).stream().map(String::strip).filter(x -> !x.isEmpty()).toList()
        : ShapesWorld.captions(7, count);
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("--prompts \"" + this.prompts + "\": the file has no prompts");
    }
    DdimSampler ddim = Ddim.steps(steps, model).guidance(guidance);
    Sampler sampler = schedule == null ? ddim : ddim.blended(schedule);
    UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
    for (int i = 0; i < lora.size(); i++) {
      LoraAdapter a = LoraAdapter.load(lora.get(i), "lora" + i);
      a.setScale(scales == null ? 1 : scales[i]);
      den.attach(a);
    }
    int nSeeds = seeds;
    List<INDArray> rows = PromptGrid.generate(model, den, prompts, nSeeds, PromptGrid.FIRST_SEED, sampler);
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    // one row per prompt, captioned above it; the columns are the seeds; the title names the sampler and LoRAs
    StringBuilder title = new StringBuilder(String.format(java.util.Locale.ROOT, "DDIM, %d steps, guidance %s", steps,
        guidance));
    for (int i = 0; i < lora.size(); i++) {
      title.append(i == 0 ? "; LoRA " : ", ").append(lora.get(i).getFileName())
          .append(String.format(java.util.Locale.ROOT, " \u00d7 %.2f", scales == null ? 1 : scales[i]));
    }
    if (blend != null) {
      title.append("; blend ").append(blend.strip());
    }
    List<String> seedLabels = new java.util.ArrayList<>();
    for (int s = 0; s < nSeeds; s++) {
      seedLabels.add("seed " + (PromptGrid.FIRST_SEED + s));
    }
    Images.Grid grid = new Images.Grid(3).title(title.toString()).columnLabels(seedLabels);
    for (int p = 0; p < rows.size(); p++) {
      grid.row(rows.get(p), null, List.of(new Images.Caption(0, nSeeds, prompts.get(p))));
    }
    grid.write(out);
    if (oracle) {
      System.out.println("oracle prompt fidelity over " + prompts.size() * nSeeds + " samples: "
          + PromptGrid.fidelity(rows, prompts, nSeeds));
    }
    System.out.println("wrote " + out.toAbsolutePath() + " (" + prompts.size() + " prompts × " + nSeeds + " seeds, "
        + ddim + (blend == null ? "" : ", blend " + blend.strip()) + ")");
    return 0;
  }
}
