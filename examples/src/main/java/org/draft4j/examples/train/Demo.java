package org.draft4j.examples.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Cli;
import org.draft4j.models.TextToImageModel;
import org.draft4j.shapesworld.ShapesWorldModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The README's main job: full DRaFT (the reward's gradient through the whole sampling chain)
 * fine-tunes a rank-4 LoRA of the shipped ShapesWorld model for a 2-step DDIM sampler (guidance 3)
 * on prompt alignment with the world's reward CLIP (the world reward without its aesthetic term,
 * which pulls against prompt fidelity). With 2 steps the base model's small shapes fade into the
 * background; the reward teaches the adapter to draw them. Writes a before/after grid on fixed
 * held-out prompts and seeds (64 captions of world seed 2 × 4 sampling seeds), the reward curve, the
 * LoRA (diffusers layout) with provenance, the metrics (JSON lines) and a summary with the reward,
 * the oracle's prompt fidelity and the sample diversity before and after. Exits with status 3 when
 * the reward did not improve. Its training settings go through {@link TrainOptions} as {@code
 * train}'s do.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Fine-tune the ShapesWorld model with DRaFT through a 2-step sampler on prompt alignment with the"
        + " world's reward CLIP; writes grids, curve, LoRA, metrics, summary.")
public final class Demo implements Callable<Integer> {
  @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int steps = 160;

  @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
  Path out = Path.of("demo-output");

  @Option(names = "--seed", description = "training seed (default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Option(names = "--reward", description = "a train --reward name (default: ${DEFAULT-VALUE})")
  String reward = "alignment";

  @Option(names = "--model", description = "a model folder (default: the shipped ShapesWorld model)")
  Path model;

  @Spec CommandSpec spec;

  Demo() {}

  /**
   * The demo's training settings, as {@code train} would take them: {@code reward}, {@code steps},
   * {@code seed} and {@code out} as given (the demo's options), the rest fixed.
   */
  static TrainSettings settings(String reward, String steps, String seed, String out) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("objective", "draft");
    s.put("reward", reward);
    s.put("steps", steps);
    s.put("seed", seed);
    s.put("out", out);
    s.put("sampler-steps", "2"); // few enough that the base model's small shapes fade
    s.put("guidance", "3");
    s.put("lr", "2e-3");
    s.put("micro", "4");
    s.put("eval-prompts", "64");
    s.put("eval-seeds", "4");
    return TrainOptions.parse(s);
  }

  /** The {@code demo} command; returns 0, or 3 when the reward did not improve on the evaluation seeds. */
  @Override
  public Integer call() throws IOException {
    long t0 = System.nanoTime();
    Map<String, String> given = Cli.given(spec);
    TrainSettings settings = settings(given.getOrDefault("reward", reward),
        given.getOrDefault("steps", String.valueOf(steps)), given.getOrDefault("seed", String.valueOf(seed)),
        given.getOrDefault("out", out.toString()));
    TextToImageModel m = model != null ? ShapesWorldModel.load(model) : ShapesWorldModel.pretrained();
    TrainRun.Result r = TrainRun.run(settings, m);
    TrainRun.print(r.summary());
    double rb = r.summary().rewardBefore();
    double ra = r.summary().rewardAfter();
    System.out.printf(Locale.ROOT, "wrote %s (before_after.png, reward_curve.png, pytorch_lora_weights.safetensors,"
        + " metrics.jsonl, summary.json, provenance.json) in %.0f s%n", settings.out().toAbsolutePath(),
        (System.nanoTime() - t0) / 1e9);
    if (!(r.summary().oracleAfter().get("mean") > r.summary().oracleBefore().get("mean"))) {
      System.err.println("NOTE: the oracle's prompt fidelity did not improve on the evaluation seeds");
    }
    if (!(ra > rb)) {
      System.err.println("WARNING: the reward did not improve on the evaluation seeds");
      return 3;
    }
    return 0;
  }
}
