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
import org.draft4j.lora.LoraTargets;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.rewards.AestheticHead;
import org.draft4j.rewards.ClipModel;
import org.draft4j.rewards.Rewards;
import org.draft4j.samplers.Ddim;
import org.draft4j.shapesworld.ShapesOracle;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.Reward;
import org.draft4j.train.ConsoleProgress;
import org.draft4j.train.DraftTrainer;
import org.draft4j.train.JsonlMetrics;
import org.draft4j.train.StepMetrics;
import org.draft4j.train.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One fine-tuning run on ShapesWorld from named settings (flags or a config file), as {@code train},
 * {@code demo} and the results report use it: builds the trainer, evaluates held-out prompts and
 * seeds before and after, and writes the LoRA (diffusers layout, with provenance), a before/after
 * grid, the reward curve, metrics (JSON lines), the training config and {@code summary.json}.
 *
 * <p>Settings (defaults in brackets): {@code objective} draft | draft-k | draft-lv | draft-plus | refl |
 * alignprop [draft-k], {@code k} [1], {@code lv-n} [2], {@code kl} [0.1], {@code refl-min}/{@code refl-max}
 * [steps−3, steps−1], {@code alignprop-min}/{@code alignprop-max} [1, steps]; {@code reward} world |
 * alignment | aesthetic | compressibility | incompressibility | colorfulness [world],
 * {@code aesthetic-weight} [0.5]; {@code rank} [4], {@code alpha} [= rank], {@code dropout} [0],
 * {@code targets} attention | attention+ff | all [attention]; {@code lr} [1e-3], {@code steps} [40],
 * {@code micro} [4], {@code global} [= micro], {@code sampler-steps} [10], {@code guidance} [5],
 * {@code eta} [0]; {@code seed} [0]; {@code eval-prompts} [4] × {@code eval-seeds} [4] held-out pairs,
 * {@code eval-every} [0 = before and after only; N = also every N steps, into {@code eval_history}];
 * {@code out} [train-output]; {@code model} [the shipped ShapesWorld model]; {@code quiet} [false];
 * {@code checkpoints} [none: a directory where the adapter, optimizer state and step are written
 * atomically; rerunning the same settings resumes from it, bit for bit, and other settings are
 * refused naming the field], {@code checkpoint-every} [10 steps]; {@code reward} pickscore | hpsv2 | laion-aesthetic with
 * {@code reward-model} DIR (a Hugging Face {@code CLIPModel} folder: PickScore's, HPSv2's, or the CLIP
 * ViT-L/14 of the LAION aesthetic predictor, whose head is {@code aesthetic-head} FILE
 * [DIR/aesthetic_head.safetensors]); {@code prompts} FILE [ShapesWorld captions: one training prompt
 * per line; the evaluation uses its first {@code eval-prompts} lines]; {@code eval-prompts} 0 skips
 * the evaluations (for large models).
 */
public final class TrainRun {
  /** Every setting name {@link #run} reads. */
  public static final List<String> KEYS = List.of("objective", "k", "lv-n", "kl", "refl-min", "refl-max",
      "alignprop-min", "alignprop-max", "reward", "aesthetic-weight", "rank", "alpha", "dropout", "targets", "lr",
      "steps", "micro", "global", "sampler-steps", "guidance", "eta", "seed", "eval-prompts", "eval-seeds",
      "eval-every", "out", "model", "quiet", "checkpoints", "checkpoint-every", "reward-model", "aesthetic-head",
      "prompts");
  private static final List<String> OBJECTIVES = List.of("draft", "draft-k", "draft-lv", "draft-plus", "refl",
      "alignprop");
  private static final List<String> REWARDS = List.of("world", "alignment", "aesthetic", "compressibility",
      "incompressibility", "colorfulness", "pickscore", "hpsv2", "laion-aesthetic");
  /** Rewards whose CLIP model comes from {@code reward-model}. */
  private static final List<String> FOLDER_REWARDS = List.of("pickscore", "hpsv2", "laion-aesthetic");
  private static final List<String> TARGETS = List.of("attention", "attention+ff", "all");
  private static final int BIG = Integer.MAX_VALUE;

  private TrainRun() {}

  /** What a run produced. */
  public record Result(RunSummary summary, List<StepMetrics> history, DraftTrainer.Evaluation before,
      DraftTrainer.Evaluation after, List<String> evalPrompts) {}

  /** Reads {@code key = value} lines ({@code #} comments) into settings. */
  public static Map<String, String> readConfig(Path file) throws IOException {
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
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException(file + ":" + n + ": unknown setting \"" + k + "\"; allowed: " + KEYS);
      }
      m.put(k, l.substring(eq + 1).strip());
    }
    return m;
  }

  static int integer(Map<String, String> s, String k, int d) {
    return FlagValues.integer(s, k, d, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  static double number(Map<String, String> s, String k, double d) {
    return FlagValues.number(s, k, d, -Double.MAX_VALUE, false, Double.MAX_VALUE);
  }

  /**
   * Checks every setting before anything runs: names, integer and number ranges, and the relations
   * between them (global a multiple of micro, K within the sampler's steps, ...). A bad value fails
   * with an {@link IllegalArgumentException} naming the setting, the value and what is allowed.
   */
  static void validate(Map<String, String> s) {
    for (String k : s.keySet()) {
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown setting \"" + k + "\"; allowed: " + KEYS);
      }
    }
    FlagValues.oneOf(s, "objective", "draft-k", OBJECTIVES);
    String rw = FlagValues.oneOf(s, "reward", "world", REWARDS);
    if (FOLDER_REWARDS.contains(rw) && !s.containsKey("reward-model")) {
      throw new IllegalArgumentException("--reward " + rw + " needs --reward-model DIR (a Hugging Face CLIPModel"
          + " folder: config.json, model.safetensors, vocab.json, merges.txt)");
    }
    if (s.containsKey("reward-model") && !FOLDER_REWARDS.contains(rw)) {
      throw new IllegalArgumentException("--reward-model is read by --reward " + FOLDER_REWARDS + " only, not by"
          + " --reward " + rw);
    }
    if (s.containsKey("aesthetic-head") && !rw.equals("laion-aesthetic")) {
      throw new IllegalArgumentException("--aesthetic-head is read by --reward laion-aesthetic only");
    }
    for (String k : new String[] {"reward-model", "prompts"}) {
      if (s.containsKey(k) && !Files.exists(Path.of(s.get(k)))) {
        throw new IllegalArgumentException("--" + k + " = \"" + s.get(k) + "\": no such file or directory");
      }
    }
    FlagValues.oneOf(s, "targets", "attention", TARGETS);
    FlagValues.integer(s, "steps", 40, 1, BIG);
    int samplerSteps = FlagValues.integer(s, "sampler-steps", 10, 1, 1000);
    int micro = FlagValues.integer(s, "micro", 4, 1, 4096);
    int global = FlagValues.integer(s, "global", micro, 1, BIG);
    if (global % micro != 0) {
      throw new IllegalArgumentException("--global = \"" + s.get("global") + "\": must be a positive multiple of"
          + " --micro = " + micro);
    }
    int rank = FlagValues.integer(s, "rank", 4, 1, 4096);
    FlagValues.number(s, "alpha", rank, 0, true, Double.MAX_VALUE);
    FlagValues.number(s, "dropout", 0, 0, false, 0.999);
    FlagValues.number(s, "lr", 1e-3, 0, true, Double.MAX_VALUE);
    FlagValues.number(s, "guidance", 5, 0, false, Double.MAX_VALUE);
    FlagValues.number(s, "eta", 0, 0, false, 1);
    FlagValues.integer(s, "k", 1, 1, samplerSteps);
    FlagValues.integer(s, "lv-n", 2, 1, BIG);
    FlagValues.number(s, "kl", 0.1, 0, false, Double.MAX_VALUE);
    int reflMin = FlagValues.integer(s, "refl-min", Math.max(0, samplerSteps - 3), 0, samplerSteps - 1);
    FlagValues.integer(s, "refl-max", samplerSteps - 1, reflMin, samplerSteps - 1);
    int apMin = FlagValues.integer(s, "alignprop-min", 1, 1, samplerSteps);
    FlagValues.integer(s, "alignprop-max", samplerSteps, apMin, samplerSteps);
    FlagValues.number(s, "aesthetic-weight", 0.5, -Double.MAX_VALUE, false, Double.MAX_VALUE);
    FlagValues.longInteger(s, "seed", 0);
    int evalPrompts = FlagValues.integer(s, "eval-prompts", 4, 0, 10_000);
    FlagValues.integer(s, "eval-seeds", 4, 1, 10_000);
    int evalEvery = FlagValues.integer(s, "eval-every", 0, 0, BIG);
    if (evalPrompts == 0 && evalEvery > 0) {
      throw new IllegalArgumentException("--eval-every = " + evalEvery + " needs --eval-prompts >= 1");
    }
    FlagValues.bool(s, "quiet", false);
    FlagValues.integer(s, "checkpoint-every", 10, 1, BIG);
    if (s.containsKey("checkpoint-every") && !s.containsKey("checkpoints")) {
      throw new IllegalArgumentException("--checkpoint-every = \"" + s.get("checkpoint-every") + "\" needs"
          + " --checkpoints DIR (where the checkpoints go)");
    }
    for (String k : List.of("out", "model", "checkpoints")) {
      if (s.containsKey(k) && s.get(k).isBlank()) {
        throw FlagValues.bad(k, s.get(k), "a path");
      }
    }
  }

  /** The objective named by the settings. */
  static Objective objective(Map<String, String> s, int samplerSteps) {
    String o = s.getOrDefault("objective", "draft-k");
    return switch (o) {
      case "draft" -> Objectives.draft();
      case "draft-k" -> Objectives.draftK(integer(s, "k", 1));
      case "draft-lv" -> Objectives.draftLv(integer(s, "lv-n", 2));
      case "draft-plus" -> Objectives.draftPlus(integer(s, "k", 1), number(s, "kl", 0.1));
      case "refl" -> Objectives.refl(integer(s, "refl-min", Math.max(0, samplerSteps - 3)),
          integer(s, "refl-max", samplerSteps - 1));
      case "alignprop" -> Objectives.alignProp(integer(s, "alignprop-min", 1),
          integer(s, "alignprop-max", samplerSteps));
      default -> throw new IllegalArgumentException("setting objective = \"" + o
          + "\" is not one of [draft, draft-k, draft-lv, draft-plus, refl, alignprop]");
    };
  }

  /** The reward named by the settings. */
  static Reward reward(Map<String, String> s) {
    String r = s.getOrDefault("reward", "world");
    return switch (r) {
      case "world" -> ShapesWorldModel.alignmentAndAesthetic(number(s, "aesthetic-weight", 0.5));
      case "alignment" -> Rewards.pickScore(ShapesWorldModel.clip());
      case "aesthetic" -> Rewards.aesthetic(ShapesWorldModel.clip(), ShapesWorldModel.aestheticHead());
      case "compressibility" -> Rewards.compressibility();
      case "incompressibility" -> Rewards.incompressibility();
      case "colorfulness" -> new ColorfulnessReward();
      case "pickscore" -> Rewards.pickScore(clipFolder(s));
      case "hpsv2" -> Rewards.hpsV2(clipFolder(s));
      case "laion-aesthetic" -> {
        ClipModel clip = clipFolder(s);
        Path head = Path.of(s.getOrDefault("aesthetic-head",
            Path.of(s.get("reward-model")).resolve("aesthetic_head.safetensors").toString()));
        yield Rewards.aesthetic(clip, AestheticHead.load(head, clip.projectionDim()));
      }
      default -> throw new IllegalArgumentException("setting reward = \"" + r
          + "\" is not one of [world, alignment, aesthetic, compressibility, incompressibility, colorfulness]");
    };
  }

  private static ClipModel clipFolder(Map<String, String> s) {
    try {
      return ClipModel.load(Path.of(s.get("reward-model")));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("--reward-model " + s.get("reward-model") + ": " + e.getMessage(), e);
    }
  }

  /** The training prompts: the lines of {@code prompts} (blank lines skipped), or ShapesWorld captions. */
  static List<String> trainingPrompts(Map<String, String> s) throws IOException {
    if (!s.containsKey("prompts")) {
      return ShapesWorld.captions(1, 256);
    }
    List<String> l = Files.readAllLines(Path.of(s.get("prompts"))).stream().map(String::strip)
        .filter(x -> !x.isEmpty()).toList();
    if (l.isEmpty()) {
      throw new IllegalArgumentException("--prompts = \"" + s.get("prompts") + "\": the file has no prompt lines");
    }
    return l;
  }

  static LoraTargets targets(String t) {
    return switch (t) {
      case "attention" -> LoraTargets.attention();
      case "attention+ff" -> LoraTargets.attentionAndFeedForward();
      case "all" -> LoraTargets.all();
      default -> throw new IllegalArgumentException("setting targets = \"" + t
          + "\" is not one of [attention, attention+ff, all]");
    };
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
  public static Result run(Map<String, String> s, TextToImageModel model) throws IOException {
    validate(s);
    long t0 = System.nanoTime();
    Path out = Path.of(s.getOrDefault("out", "train-output"));
    Files.createDirectories(out);
    int steps = integer(s, "steps", 40);
    int samplerSteps = integer(s, "sampler-steps", 10);
    int micro = integer(s, "micro", 4);
    int rank = integer(s, "rank", 4);
    boolean quiet = FlagValues.bool(s, "quiet", false);
    int nPrompts = integer(s, "eval-prompts", 4);
    int nSeeds = integer(s, "eval-seeds", 4);
    List<String> training = trainingPrompts(s);
    List<String> evalPrompts = new ArrayList<>();
    if (s.containsKey("prompts")) {
      for (int i = 0; i < nPrompts * nSeeds; i++) {
        evalPrompts.add(training.get((i / nSeeds) % training.size()));
      }
    } else {
      evalPrompts = evalPrompts(nPrompts, nSeeds);
    }
    long[] evalSeeds = new long[evalPrompts.size()];
    for (int i = 0; i < evalSeeds.length; i++) {
      evalSeeds[i] = 101 + i % nSeeds;
    }
    Objective objective = objective(s, samplerSteps);
    Reward reward = reward(s);
    Path metrics = out.resolve("metrics.jsonl");
    Path evalFile = out.resolve("eval_history.jsonl");
    List<StepMetrics> history = new ArrayList<>();
    List<EvalPoint> between = new ArrayList<>();
    // a resumed run keeps what the first attempt logged up to its checkpoint
    long resumeStep = s.containsKey("checkpoints") ? DraftTrainer.checkpointStep(Path.of(s.get("checkpoints"))) : 0;
    keepUpTo(metrics, resumeStep, steps).forEach(m -> history.add(StepMetrics.fromMap(m, steps)));
    keepUpTo(evalFile, resumeStep, steps).forEach(m -> between.add(Json.mapper().convertValue(m, EvalPoint.class)));
    DraftTrainer.Builder b = DraftTrainer.builder()
        .model(model)
        .sampler(Ddim.steps(samplerSteps, model).eta(number(s, "eta", 0)).guidance(number(s, "guidance", 5)))
        .reward(reward)
        .adapter(Lora.rank(rank).alpha(number(s, "alpha", rank)).dropout(number(s, "dropout", 0))
            .on(targets(s.getOrDefault("targets", "attention"))))
        .objective(objective)
        .optimizer(AdamW.lr(number(s, "lr", 1e-3)))
        .prompts(training)
        .batch(micro, integer(s, "global", micro))
        .seed(FlagValues.longInteger(s, "seed", 0));
    if (s.containsKey("checkpoints")) {
      b = b.checkpoints(Path.of(s.get("checkpoints")), integer(s, "checkpoint-every", 10));
    }
    try (JsonlMetrics jsonl = new JsonlMetrics(metrics)) {
      TrainingListener keep = new TrainingListener() {
        @Override
        public void onStep(StepMetrics m) {
          history.add(m);
        }
      };
      b = quiet ? b.listener(jsonl, keep) : b.listener(ConsoleProgress.stderr(), jsonl, keep);
      try (DraftTrainer trainer = b.build()) {
        if (nPrompts == 0) { // no evaluation: train, save, summarize the training metrics
          trainer.fitTo(steps);
          trainer.saveAdapter(out.resolve("pytorch_lora_weights.safetensors"), LoraFormat.DIFFUSERS);
          trainer.writeConfig(out.resolve("training_config.json"));
          Files.writeString(out.resolve("provenance.json"), trainer.provenance().toJson());
          RunSummary summary = new RunSummary(objective.name(), reward.name(), "none (eval-prompts = 0)",
              history.isEmpty() ? null : history.get(history.size() - 1).rewardMean(), null, null, null, null, null,
              null, null, null, null, null, steps, (System.nanoTime() - t0) / 1e9, s);
          summary.write(out.resolve("summary.json"));
          return new Result(summary, history, null, null, evalPrompts);
        }
        DraftTrainer.Evaluation before = evaluateBase(trainer, evalPrompts, evalSeeds);
        int every = integer(s, "eval-every", 0);
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
        Files.writeString(out.resolve("provenance.json"), trainer.provenance().toJson());
        double rb = first.reward();
        double ra = last.reward();
        // before and after rows, 16 images a row pair
        List<INDArray> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        long total = before.images().size(0);
        for (long from = 0; from < total; from += 16) {
          INDArrayIndex range = NDArrayIndex.interval(from, Math.min(total, from + 16));
          rows.add(before.images().get(range));
          rows.add(after.images().get(range));
          labels.add(from == 0 ? String.format(Locale.ROOT, "base  %.3f", rb) : "base");
          labels.add(from == 0 ? String.format(Locale.ROOT, "%s  %.3f", objective.name(), ra) : objective.name());
        }
        Images.grid(out.resolve("before_after.png"), rows, labels, 3);
        RewardCurve.write(out.resolve("reward_curve.png"), history, objective.name() + " on " + reward.name());
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
            nPrompts + " held-out captions (world seed 2) x sampling seeds 101.." + (100 + nSeeds), null, rb, ra, terms,
            first.oracle(), last.oracle(), first.diversity(), last.diversity(),
            ShapesOracle.measuredAppeal(before.images()), ShapesOracle.measuredAppeal(after.images()), evalHistory, steps,
            (System.nanoTime() - t0) / 1e9, s);
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
    Files.writeString(file, sb.toString());
    return kept;
  }

  /** The {@code train} subcommand: settings from {@code --config FILE} and flags (flags win). */
  public static void main(String[] args) throws IOException {
    List<String> allowed = new ArrayList<>(KEYS);
    allowed.add("config");
    Map<String, String> f = Flags.parse(args, allowed.toArray(new String[0]));
    Map<String, String> s = new LinkedHashMap<>();
    if (f.containsKey("config")) {
      s.putAll(readConfig(Path.of(f.remove("config"))));
    }
    s.putAll(f);
    validate(s);
    TextToImageModel model = s.containsKey("model") ? ShapesWorldModel.load(Path.of(s.get("model")))
        : ShapesWorldModel.pretrained();
    Result r = run(s, model);
    print(r.summary());
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
}
