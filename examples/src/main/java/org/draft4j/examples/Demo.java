package org.draft4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.draft4j.models.TextToImageModel;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;

/**
 * The README's main job: DRaFT-K (K=1) fine-tunes a rank-4 LoRA of the shipped ShapesWorld model
 * on the world's reward (prompt alignment with the world's CLIP + 0.5 × its aesthetic head), then
 * writes a before/after grid on fixed held-out prompts and seeds (8 captions of world seed 2 × 4
 * sampling seeds), the reward curve, the LoRA
 * (diffusers layout) with provenance, the metrics (JSON lines) and a summary with the reward, the
 * oracle's prompt fidelity and the sample diversity before and after. Exits with status 3 when the
 * reward did not improve.
 *
 * <p>Flags: {@code --steps N} (default 40), {@code --out DIR} (default demo-output), {@code --seed S},
 * {@code --reward NAME} (world; see {@link TrainRun}), {@code --model DIR} (a model folder instead of
 * the shipped weights).
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) throws IOException {
    int status = run(args);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** The {@code demo} command; returns 0, or 3 when the reward did not improve on the evaluation seeds. */
  static int run(String[] args) throws IOException {
    Map<String, String> flags = Flags.parse(args, "steps", "out", "seed", "model", "reward");
    long t0 = System.nanoTime();
    Map<String, String> s = new LinkedHashMap<>();
    s.put("objective", "draft-k");
    s.put("k", "1");
    s.put("reward", flags.getOrDefault("reward", "world"));
    s.put("steps", flags.getOrDefault("steps", "40"));
    s.put("seed", flags.getOrDefault("seed", "0"));
    s.put("out", flags.getOrDefault("out", "demo-output"));
    s.put("sampler-steps", "10");
    s.put("guidance", "5");
    s.put("lr", "2e-3");
    s.put("micro", "4");
    s.put("eval-prompts", "8");
    s.put("eval-seeds", "4");
    TrainRun.validate(s);
    TextToImageModel model = flags.containsKey("model") ? ShapesWorldModel.load(Path.of(flags.get("model")))
        : ShapesWorldModel.pretrained();
    TrainRun.Result r = TrainRun.run(s, model);
    TrainRun.print(r.summary());
    double rb = r.summary().rewardBefore();
    double ra = r.summary().rewardAfter();
    System.out.printf(Locale.ROOT, "wrote %s (before_after.png, reward_curve.png, pytorch_lora_weights.safetensors,"
        + " metrics.jsonl, summary.json, provenance.json) in %.0f s%n", Path.of(s.get("out")).toAbsolutePath(),
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
