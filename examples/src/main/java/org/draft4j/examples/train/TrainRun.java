package org.draft4j.examples.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.cli.Failures;
import org.draft4j.examples.support.Images;
import org.draft4j.io.Json;
import org.draft4j.lora.LoraFormat;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objective;
import org.draft4j.optim.AdamW;
import org.draft4j.samplers.Ddim;
import org.draft4j.shapesworld.ShapesOracle;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.spark.TrainerRecipe;
import org.draft4j.spi.Reward;
import org.draft4j.spi.Sampler;
import org.draft4j.train.ConsoleProgress;
import org.draft4j.train.DraftTrainer;
import org.draft4j.train.JsonlMetrics;
import org.draft4j.train.StepMetrics;
import org.draft4j.train.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code train} command and one fine-tuning run on ShapesWorld (or a model and reward from
 * folders), as {@code train}, {@code demo} and the results report use it: builds the trainer from
 * {@link TrainSettings}, evaluates held-out prompts and seeds before and after, and writes the LoRA
 * (diffusers layout, with provenance), a before/after grid, the reward curve, metrics (JSON lines),
 * the training config and {@code summary.json}. The settings and their defaults are {@link
 * TrainOptions}' declarations ({@code train --help} lists them).
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = {"One fine-tuning run from flags or --config FILE (key = value lines). With --checkpoints DIR it"
        + " is resumable: rerun the same command after an interruption and it continues, bit for bit."})
public final class TrainRun implements Callable<Integer> {
  @Mixin TrainOptions options;

  @Option(names = "--config", description = "settings as key = value lines (# comments), the keys named as the"
      + " flags without dashes; flags on the command line win")
  Path config;

  @Spec CommandSpec spec;

  /** What a run produced. */
  public record Result(RunSummary summary, List<StepMetrics> history, DraftTrainer.Evaluation before,
      DraftTrainer.Evaluation after, List<String> evalPrompts) {}

  /** Reads {@code key = value} lines ({@code #} comments) into settings, refusing unknown keys with the line. */
  public static Map<String, String> readConfig(Path file) throws IOException {
    List<String> keys = TrainOptions.names();
    Map<String, String> m = new LinkedHashMap<>();
    int n = 0;
    for (String line : Files.readAllLines(file)) {
      n++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      int eq = l.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(file + ":" + n + ": expected key = value, got \"" + l + "\"");
      }
      String k = l.substring(0, eq).strip();
      if (!keys.contains(k)) {
        throw new IllegalArgumentException(file + ":" + n + ": unknown setting \"" + k + "\"; allowed: " + keys);
      }
      m.put(k, l.substring(eq + 1).strip());
    }
    return m;
  }

  /**
   * The trainer as the settings describe it (model, sampler, reward, adapter, objective, optimizer,
   * prompts, batch, seed): what this process trains and what each Spark executor replicates.
   */
  static DraftTrainer.Builder trainerBuilder(TrainSettings s, TextToImageModel model, Reward reward,
      List<String> training) {
    return DraftTrainer.builder()
        .model(model)
        .sampler(sampler(s, model))
        .reward(reward)
        .adapter(s.adapter())
        .objective(s.objective())
        .optimizer(AdamW.lr(s.lr()))
        .prompts(training)
        .batch(s.micro(), s.global())
        .seed(s.seed());
  }

  /** The sampler the settings describe: DDIM under the model's own schedule, with their eta and guidance. */
  static Sampler sampler(TrainSettings s, TextToImageModel model) {
    return Ddim.steps(s.samplerSteps(), model).eta(s.eta()).guidance(s.guidance());
  }

  /** The training prompts: the lines of {@code prompts} (blank lines skipped), or ShapesWorld captions. */
  static List<String> trainingPrompts(Path prompts) throws IOException {
    if (prompts == null) {
      return ShapesWorld.captions(1, 256);
    }
    List<String> l = promptLines(prompts);
    if (l.isEmpty()) {
      throw new IllegalArgumentException("--prompts = \"" + prompts + "\": the file has no prompt lines");
    }
    return l;
  }

  /**
   * The evaluation's prompt of each (prompt, seed) pair, each prompt repeated for its seeds: the
   * first {@code eval.prompts()} lines of {@code eval.file()}; without a file, the training file's
   * first lines when {@code fromFile}, else captions of world seed 2.
   */
  static List<String> evalPrompts(TrainSettings.Evaluation eval, List<String> training, boolean fromFile)
      throws IOException {
    int n = eval.prompts();
    List<String> source;
    if (eval.file() != null) {
      source = promptLines(eval.file());
      if (source.size() < n) {
        throw new IllegalArgumentException("--eval-file = \"" + eval.file() + "\": has " + source.size()
            + " prompt lines, fewer than --eval-prompts = " + n);
      }
    } else if (fromFile) {
      source = training;
    } else {
      return evalPrompts(n, eval.seeds());
    }
    List<String> l = new ArrayList<>();
    for (int i = 0; i < n * eval.seeds(); i++) {
      l.add(source.get((i / eval.seeds()) % source.size()));
    }
    return l;
  }

  /** A prompt file's lines, stripped, blank lines skipped. */
  private static List<String> promptLines(Path file) throws IOException {
    return Files.readAllLines(file).stream().map(String::strip).filter(x -> !x.isEmpty()).toList();
  }

  /** Where the evaluation's prompts came from, for the summary. */
  static String evalDescription(TrainSettings s) {
    int n = s.eval().prompts();
    if (s.eval().file() != null) {
      return "the first " + n + " prompts of " + s.eval().file().getFileName();
    }
    return s.prompts() != null ? "the first " + n + " training prompts of " + s.prompts().getFileName()
        : n + " held-out captions (world seed 2)";
  }

  /** Held-out evaluation prompts: captions of world seed 2 (training uses seed 1). */
  static List<String> evalPrompts(int prompts, int seedsPerPrompt) {
    List<String> caps = ShapesWorld.captions(2, prompts);
    List<String> l = new ArrayList<>();
    for (int i = 0; i < prompts * seedsPerPrompt; i++) {
      l.add(caps.get(i / seedsPerPrompt));
    }
    return l;
  }

  /** Runs the settings; everything lands in {@code out}. */
  public static Result run(TrainSettings s, TextToImageModel model) throws IOException {
    return run(s, model, t -> { });
  }

  /**
   * As {@link #run(TrainSettings, TextToImageModel)}, handing the trainer to {@code onBuilt} before
   * it trains (to stop it from another thread: {@link DraftTrainer#requestStop()}, after which this
   * throws {@link org.draft4j.train.TrainingStoppedException} with the checkpoint written).
   */
  static Result run(TrainSettings s, TextToImageModel model, java.util.function.Consumer<DraftTrainer> onBuilt)
      throws IOException {
    long t0 = System.nanoTime();
    Path out = s.out();
    Files.createDirectories(out);
    int steps = s.steps();
    int nPrompts = s.eval().prompts();
    int nSeeds = s.eval().seeds();
    List<String> training = trainingPrompts(s.prompts());
    List<String> evalPrompts = evalPrompts(s.eval(), training, s.prompts() != null);
    long[] evalSeeds = new long[evalPrompts.size()];
    for (int i = 0; i < evalSeeds.length; i++) {
      evalSeeds[i] = 101 + i % nSeeds;
    }
    Objective objective = s.objective();
    Reward reward = s.reward().build();
    Path metrics = out.resolve("metrics.jsonl");
    Path evalFile = out.resolve("eval_history.jsonl");
    List<StepMetrics> history = new ArrayList<>();
    List<EvalPoint> between = new ArrayList<>();
    // a resumed run keeps what the first attempt logged up to its checkpoint
    long resumeStep = s.checkpoints() != null ? DraftTrainer.checkpointStep(s.checkpoints()) : 0;
    keepUpTo(metrics, resumeStep, steps).forEach(m -> history.add(StepMetrics.fromMap(m, steps)));
    keepUpTo(evalFile, resumeStep, steps).forEach(m -> between.add(Json.mapper().convertValue(m, EvalPoint.class)));
    DraftTrainer.Builder b = trainerBuilder(s, model, reward, training);
    if (s.checkpoints() != null) {
      b = b.checkpoints(s.checkpoints(), s.checkpointEvery());
    }
    try (SparkTraining spark = s.spark() == null ? null
        : SparkTraining.start(s, new SettingsRecipe(Map.copyOf(s.given())));
        JsonlMetrics jsonl = new JsonlMetrics(metrics)) {
      if (spark != null) {
        b = b.dataParallel(spark.dataParallel());
      }
      TrainingListener keep = new TrainingListener() {
        @Override
        public void onStep(StepMetrics m) {
          history.add(m);
        }
      };
      b = s.quiet() ? b.listener(jsonl, keep) : b.listener(ConsoleProgress.stderr(), jsonl, keep);
      try (DraftTrainer trainer = b.build()) {
        onBuilt.accept(trainer);
        if (nPrompts == 0) { // no evaluation: train, save, summarize the training metrics
          trainer.fitTo(steps);
          trainer.saveAdapter(out.resolve("pytorch_lora_weights.safetensors"), LoraFormat.DIFFUSERS);
          trainer.writeConfig(out.resolve("training_config.json"));
          org.draft4j.io.AtomicFiles.writeString(out.resolve("provenance.json"), trainer.provenance().toJson());
          RunSummary summary = new RunSummary(objective.name(), reward.name(), "none (eval-prompts = 0)",
              history.isEmpty() ? null : history.get(history.size() - 1).rewardMean(), null, null, null, null, null,
              null, null, null, null, null, steps, (System.nanoTime() - t0) / 1e9, s.given());
          summary.write(out.resolve("summary.json"));
          return new Result(summary, history, null, null, evalPrompts);
        }
        DraftTrainer.Evaluation before = evaluateBase(trainer, evalPrompts, evalSeeds);
        int every = s.eval().every();
        if (every > 0) {
          for (long next = (trainer.step() / every + 1) * every; next < steps; next += every) {
            trainer.fitTo(next);
            EvalPoint p = EvalPoint.of(trainer.step(), trainer.evaluate(evalPrompts, evalSeeds), evalPrompts, nSeeds);
            between.add(p);
            Files.writeString(evalFile, Json.write(p) + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
          }
        }
        trainer.fitTo(steps);
        DraftTrainer.Evaluation after = trainer.evaluate(evalPrompts, evalSeeds);
        EvalPoint first = EvalPoint.of(0, before, evalPrompts, nSeeds);
        EvalPoint last = EvalPoint.of(trainer.step(), after, evalPrompts, nSeeds);
        trainer.saveAdapter(out.resolve("pytorch_lora_weights.safetensors"), LoraFormat.DIFFUSERS);
        trainer.writeConfig(out.resolve("training_config.json"));
        org.draft4j.io.AtomicFiles.writeString(out.resolve("provenance.json"), trainer.provenance().toJson());
        double rb = first.reward();
        double ra = last.reward();
        // before and after rows, 16 images a row pair, the prompts captioned above the pair
        Images.Grid grid = new Images.Grid(3).title(String.format(Locale.ROOT, "%s: each row pair is the base model,"
            + " then after %d steps of %s on %s (mean held-out reward), sampling seeds 101..%d", evalDescription(s),
            trainer.step(), objective.name(), reward.name(), 100 + nSeeds));
        int total = (int) before.images().size(0);
        for (int from = 0; from < total; from += 16) {
          int to = Math.min(total, from + 16);
          INDArrayIndex range = NDArrayIndex.interval(from, to);
          grid.row(before.images().get(range), from == 0 ? String.format(Locale.ROOT, "base  %.3f", rb) : "base",
              Images.byPrompt(evalPrompts.subList(from, to)));
          grid.row(after.images().get(range),
              from == 0 ? String.format(Locale.ROOT, "%s  %.3f", objective.name(), ra) : objective.name(), List.of());
        }
        grid.write(out.resolve("before_after.png"));
        List<EvalPoint> heldOut = new ArrayList<>();
        heldOut.add(first);
        heldOut.addAll(between);
        heldOut.add(last);
        RewardCurve.write(out.resolve("reward_curve.png"), history, heldOut, objective.name() + " on " + reward.name());
        Map<String, List<Double>> terms = new LinkedHashMap<>();
        before.terms().forEach((k, v) -> terms.put(k, List.of(v.meanNumber().doubleValue(),
            after.terms().get(k).meanNumber().doubleValue())));
        List<EvalPoint> evalHistory = null;
        if (every > 0) {
          evalHistory = new ArrayList<>();
          evalHistory.add(first);
          evalHistory.addAll(between);
          evalHistory.add(last);
        }
        RunSummary summary = new RunSummary(objective.name(), reward.name(),
            evalDescription(s) + " x sampling seeds 101.." + (100 + nSeeds), null, rb, ra, terms,
            first.oracle(), last.oracle(), first.diversity(), last.diversity(),
            ShapesOracle.measuredAppeal(before.images()), ShapesOracle.measuredAppeal(after.images()), evalHistory, steps,
            (System.nanoTime() - t0) / 1e9, s.given());
        summary.write(out.resolve("summary.json"));
        return new Result(summary, history, before, after, evalPrompts);
      }
    }
  }

  /**
   * The base model's evaluation: the adapter at scale 0 (on a fresh run the adapter is still zero, so
   * this is the same as evaluating it; on a resumed run it is what the first attempt measured).
   */
  private static DraftTrainer.Evaluation evaluateBase(DraftTrainer trainer, List<String> prompts, long[] seeds) {
    double scale = trainer.adapter().scale();
    trainer.adapter().setScale(0);
    try {
      return trainer.evaluate(prompts, seeds);
    } finally {
      trainer.adapter().setScale(scale);
    }
  }

  /**
   * The JSON lines of {@code file} whose {@code step} is at most {@code step} (0: none), rewritten so
   * that the file holds only them; entries past a checkpoint are redone by the resumed run.
   */
  private static List<Map<String, Object>> keepUpTo(Path file, long step, int totalSteps) throws IOException {
    List<Map<String, Object>> kept = new ArrayList<>();
    if (Files.exists(file) && step > 0) {
      for (String line : Files.readAllLines(file)) {
        if (line.isBlank()) {
          continue;
        }
        Map<String, Object> m;
        try {
          m = Json.parseObject(line);
        } catch (RuntimeException e) {
          break; // a line cut short when the first attempt was killed
        }
        if (m.get("step") instanceof Number n && n.longValue() <= step) {
          kept.add(m);
        }
      }
    }
    if (kept.isEmpty()) {
      Files.deleteIfExists(file); // a fresh run starts a fresh file
      return kept;
    }
    StringBuilder sb = new StringBuilder();
    kept.forEach(m -> sb.append(Json.write(m)).append('\n'));
    org.draft4j.io.AtomicFiles.writeString(file, sb.toString()); // a crash here keeps the old lines
    return kept;
  }

  /** The {@code train} command: settings from {@code --config FILE} and flags (flags win). */
  @Override
  public Integer call() throws IOException {
    Map<String, String> given = new LinkedHashMap<>();
    if (config != null) {
      given.putAll(readConfig(config));
    }
    Map<String, String> flags = Cli.given(spec);
    flags.remove("config");
    given.putAll(flags);
    TrainSettings s = TrainOptions.parse(given);
    if (s.checkpoints() == null) {
      print(run(s, s.model().load()).summary());
      return 0;
    }
    // with checkpoints, SIGTERM / Ctrl-C stop at the next step boundary, checkpoint written
    try (StopOnSignal stop = StopOnSignal.install()) {
      TextToImageModel model = s.model().load();
      try {
        print(run(s, model, stop::watch).summary());
        return 0;
      } catch (org.draft4j.train.TrainingStoppedException e) {
        System.err.println("stopped by " + (stop.received() == null ? "request" : stop.received()) + " after step "
            + e.step() + "; checkpoint in " + s.checkpoints() + ": run the same command again to resume");
        return StopOnSignal.EXIT_STATUS;
      }
    }
  }

  static void print(RunSummary m) {
    if (!m.evaluated()) {
      System.out.printf(Locale.ROOT, "%s on %s: %s steps, no evaluation; reward of the last step's batch %s%n",
          m.objective(), m.reward(), m.steps(), m.lastStepRewardMean());
      return;
    }
    System.out.printf(Locale.ROOT, "reward before (base model, held-out prompts and seeds): %.4f%n", m.rewardBefore());
    System.out.printf(Locale.ROOT, "reward after  (%s LoRA, same prompts and seeds): %.4f%n", m.objective(),
        m.rewardAfter());
    System.out.println("reward terms (before, after): " + m.termsBeforeAfter());
    System.out.println("oracle prompt fidelity before: " + m.oracleBefore());
    System.out.println("oracle prompt fidelity after:  " + m.oracleAfter());
    System.out.printf(Locale.ROOT, "oracle prompt fidelity, all judged attributes: before %.4f, after %.4f%n",
        m.oracleBefore().get("mean"), m.oracleAfter().get("mean"));
    System.out.printf(Locale.ROOT, "sample diversity (mean pairwise RMS distance per prompt) before %.4f, after %.4f%n",
        m.diversityBefore(), m.diversityAfter());
  }

  /** An executor's replica: the settings parsed again there, the model loaded there. */
  record SettingsRecipe(Map<String, String> given) implements TrainerRecipe {
    @Override
    public DraftTrainer.Builder builder() {
      TrainSettings s = TrainOptions.parse(given);
      TextToImageModel model;
      try {
        model = s.model().load();
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--model = \"" + s.model().path() + "\": an executor cannot load it ("
            + Failures.message(e) + "); give a folder every executor can read", e);
      }
      try {
        return trainerBuilder(s, model, s.reward().build(), trainingPrompts(s.prompts()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
