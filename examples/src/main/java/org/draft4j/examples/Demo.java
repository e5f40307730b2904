package org.draft4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.lora.Lora;
import org.draft4j.lora.LoraFormat;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.rewards.Rewards;
import org.draft4j.samplers.Ddim;
import org.draft4j.train.ConsoleProgress;
import org.draft4j.train.DraftTrainer;
import org.draft4j.train.JsonlMetrics;
import org.draft4j.train.StepMetrics;
import org.draft4j.train.TrainingListener;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * The README's main job: DRaFT-K (K=1) fine-tunes a LoRA on the ShapesWorld-sized model for the
 * compressibility reward, then writes a before/after grid on fixed seeds, the reward curve, the
 * LoRA (diffusers layout) with provenance, the metrics (JSON lines) and a summary.
 *
 * <p>Flags: {@code --steps N} (default 40), {@code --out DIR} (default demo-output), {@code --seed S},
 * {@code --model DIR} (a model folder instead of the shipped ShapesWorld weights).
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> flags = Flags.parse(args, "steps", "out", "seed", "model");
    int steps = Integer.parseInt(flags.getOrDefault("steps", "40"));
    long seed = Long.parseLong(flags.getOrDefault("seed", "0"));
    Path out = Path.of(flags.getOrDefault("out", "demo-output"));
    Files.createDirectories(out);
    long t0 = System.nanoTime();

    TextToImageModel model = flags.containsKey("model") ? ShapesWorldModel.load(Path.of(flags.get("model")))
        : ShapesWorldModel.pretrained();
    List<String> trainPrompts = ShapesWorld.captions(1, 64);
    // held out: 4 captions of another world seed, 4 seeds each (training draws seeds from the trainer seed)
    List<String> evalPrompts = new ArrayList<>();
    long[] evalSeeds = new long[16];
    for (int i = 0; i < 16; i++) {
      evalPrompts.add(ShapesWorld.captions(2, 4).get(i / 4));
      evalSeeds[i] = 101 + i;
    }
    Path metrics = out.resolve("metrics.jsonl");
    Files.deleteIfExists(metrics);
    List<StepMetrics> history = new ArrayList<>();
    try (JsonlMetrics jsonl = new JsonlMetrics(metrics);
        DraftTrainer trainer = DraftTrainer.builder()
            .model(model)
            .sampler(Ddim.steps(10).eta(0.0).guidance(3.0))
            .reward(Rewards.compressibility())
            .adapter(Lora.rank(4).alpha(4).onAttention())
            .objective(Objectives.draftK(1))
            .optimizer(AdamW.lr(1e-3))
            .prompts(trainPrompts)
            .batch(4, 4)
            .seed(seed)
            .listener(ConsoleProgress.stderr(), jsonl, new TrainingListener() {
              @Override
              public void onStep(StepMetrics m) {
                history.add(m);
              }
            })
            .build()) {
      DraftTrainer.Evaluation before = trainer.evaluate(evalPrompts, evalSeeds);
      trainer.fit(steps);
      DraftTrainer.Evaluation after = trainer.evaluate(evalPrompts, evalSeeds);
      trainer.saveAdapter(out.resolve("pytorch_lora_weights.safetensors"), LoraFormat.DIFFUSERS);
      trainer.writeConfig(out.resolve("training_config.json"));
      Images.grid(out.resolve("before_after.png"), List.of(before.images(), after.images()),
          List.of(String.format(Locale.ROOT, "base  %.3f", before.rewards().meanNumber().doubleValue()),
              String.format(Locale.ROOT, "DRaFT-1  %.3f", after.rewards().meanNumber().doubleValue())), 3);
      rewardCurve(out.resolve("reward_curve.png"), history);
      double rb = before.rewards().meanNumber().doubleValue();
      double ra = after.rewards().meanNumber().doubleValue();
      double seconds = (System.nanoTime() - t0) / 1e9;
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("reward", "compressibility (= -estimated JPEG KB at quality 75)");
      summary.put("eval_seeds", evalSeeds);
      summary.put("reward_before", rb);
      summary.put("reward_after", ra);
      summary.put("oracle_fidelity_before", ShapesOracle.accuracy(before.images(), evalPrompts));
      summary.put("oracle_fidelity_after", ShapesOracle.accuracy(after.images(), evalPrompts));
      summary.put("diversity_before", diversity(before.images(), 4));
      summary.put("diversity_after", diversity(after.images(), 4));
      summary.put("steps", steps);
      summary.put("wall_seconds", seconds);
      Files.writeString(out.resolve("summary.json"), Json.writePretty(summary));
      System.out.printf(Locale.ROOT, "reward before (base model, held-out prompts and seeds): %.4f%n", rb);
      System.out.printf(Locale.ROOT, "reward after  (DRaFT-1 LoRA, same prompts and seeds): %.4f%n", ra);
      System.out.println("oracle prompt fidelity before: " + summary.get("oracle_fidelity_before"));
      System.out.println("oracle prompt fidelity after:  " + summary.get("oracle_fidelity_after"));
      System.out.printf(Locale.ROOT, "sample diversity (mean pairwise RMS distance per prompt) before %.4f, after %.4f%n",
          summary.get("diversity_before"), summary.get("diversity_after"));
      System.out.printf(Locale.ROOT, "wrote %s (before_after.png, reward_curve.png, pytorch_lora_weights.safetensors,"
          + " metrics.jsonl, summary.json) in %.0f s%n", out.toAbsolutePath(), seconds);
      if (!(ra > rb)) {
        System.err.println("WARNING: the reward did not improve on the evaluation seeds");
        System.exit(3);
      }
    }
  }

  /** Mean pairwise RMS pixel distance between the samples of each prompt (groups of {@code perPrompt}). */
  static double diversity(org.nd4j.linalg.api.ndarray.INDArray images, int perPrompt) {
    double sum = 0;
    int pairs = 0;
    for (int g = 0; g < images.size(0) / perPrompt; g++) {
      for (int i = 0; i < perPrompt; i++) {
        for (int j = i + 1; j < perPrompt; j++) {
          org.nd4j.linalg.api.ndarray.INDArray a = images.get(org.nd4j.linalg.indexing.NDArrayIndex.point(g * perPrompt + i));
          org.nd4j.linalg.api.ndarray.INDArray b = images.get(org.nd4j.linalg.indexing.NDArrayIndex.point(g * perPrompt + j));
          sum += a.distance2(b) / Math.sqrt(a.length());
          pairs++;
        }
      }
    }
    return sum / pairs;
  }

  static void rewardCurve(Path file, List<StepMetrics> history) throws IOException {
    double[] x = history.stream().mapToDouble(StepMetrics::step).toArray();
    double[] y = history.stream().mapToDouble(StepMetrics::rewardMean).toArray();
    XYChart chart = new XYChartBuilder().width(640).height(400).title("DRaFT-1 training reward")
        .xAxisTitle("optimizer step").yAxisTitle("mean reward (batch)").build();
    chart.addSeries("compressibility", x, y);
    chart.getStyler().setLegendVisible(false);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
