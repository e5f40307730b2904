package org.draft4j.examples.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.sample.Mix;
import org.draft4j.examples.sample.MixReport;
import org.draft4j.examples.train.EvalPoint;
import org.draft4j.examples.train.RunSummary;
import org.draft4j.examples.train.TrainOptions;
import org.draft4j.examples.train.TrainRun;
import org.draft4j.io.Json;
import org.draft4j.models.TextToImageModel;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The results report (docs/results.md): the DRaFT paper's and NeMo's findings tested on ShapesWorld,
 * with an interval over training seeds for each effect ({@link SeedInterval}). Every method
 * fine-tunes the same rank-4 LoRA of the shipped model on the world's reward (alignment +
 * 0.5·aesthetic) with the same budget (steps × 4 prompts, AdamW 1e-3, DDIM 10 steps, guidance 5),
 * once per training seed; besides, DRaFT-1 and DRaFT+ at the {@link #KL_SWEEP} coefficients pushed
 * harder (lr 3e-3) for diversity at equal reward, and the aesthetic head alone at lr 5e-3 for reward
 * hacking. Each run is an ordinary {@code train} run in {@code RUNS/<method>-s<seed>/}, evaluated on
 * 16 held-out captions × 4 sampling seeds. Runs that already have a summary are not repeated, so
 * the command can be split across processes with {@code --only} and rerun to assemble the report.
 *
 * <p>Each run's settings are {@code train} options ({@link TrainOptions}), given by name.
 */
@Command(name = "results", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Run the DRaFT-family comparison on ShapesWorld and write docs/results.md; finished runs are kept,"
        + " so the command can be split across processes with --only and rerun.")
public final class Results implements Callable<Integer> {
  /** Method name → settings (besides the shared ones). */
  static final Map<String, Map<String, String>> METHODS = new LinkedHashMap<>();

  static {
    METHODS.put("draft-full", settings("objective", "draft"));
    METHODS.put("draft-k1", settings("objective", "draft-k", "k", "1"));
    METHODS.put("draft-k2", settings("objective", "draft-k", "k", "2"));
    // held-out evaluations every 10 steps (they do not change training): how soon LV reaches ReFL
    METHODS.put("draft-lv", settings("objective", "draft-lv", "lv-n", "2", "eval-every", "10"));
    METHODS.put("draft-plus", settings("objective", "draft-plus", "k", "1", "kl", "10"));
    METHODS.put("refl", settings("objective", "refl", "eval-every", "10"));
  }

  /** The KL coefficients of the DRaFT+ diversity sweep (finding c). */
  static final List<String> KL_SWEEP = List.of("1", "10", "100");

  /** {@code key, value, key, value, ...} as an ordered map. */
  private static Map<String, String> settings(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  @Option(names = "--runs", description = "folder of the runs (default: ${DEFAULT-VALUE})")
  Path runs = Path.of("results-runs");

  @Option(names = "--seeds", description = "training seeds per method (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 100)
  int seeds = 3;

  @Option(names = "--steps", description = "training steps per run (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 100_000)
  int steps = 100;

  @Option(names = "--only", split = ",", description = "run only these run names or methods (comma-separated)")
  List<String> only;

  @Option(names = "--report", description = "the report file (default: ${DEFAULT-VALUE})")
  Path report = Path.of("docs/results.md");

  @Option(names = "--no-report", arity = "1", description = "run without writing the report: true | false"
      + " (default: ${DEFAULT-VALUE})")
  boolean noReport = false;

  @Spec CommandSpec spec;

  Results() {}

  @Override
  public Integer call() throws Exception {
    String steps = String.valueOf(this.steps);
    TextToImageModel model = null;
    List<String> plan = plan(seeds);
    for (String run : plan) {
      String method = run.substring(0, run.lastIndexOf("-s"));
      if (only != null && !only.contains(run) && !only.contains(method)) {
        continue;
      }
      Path dir = runs.resolve(run);
      if (Files.exists(dir.resolve("summary.json"))) {
        continue;
      }
      if (model == null) {
        model = ShapesWorldModel.pretrained();
      }
      Map<String, String> s = new LinkedHashMap<>();
      if (method.equals("hacking")) {
        // over-optimization: the aesthetic head alone at 5x the learning rate
        s.put("objective", "draft-k");
        s.put("k", "1");
        s.put("reward", "aesthetic");
        s.put("lr", "5e-3");
        s.put("steps", steps);
      } else if (method.startsWith("diversity-")) {
        // DRaFT-1 and DRaFT+ at several KL coefficients pushed harder (3x the learning rate), evaluated every
        // 10 steps, so that diversity can be compared at equal held-out reward
        if (method.equals("diversity-draft")) {
          s.putAll(METHODS.get("draft-k1"));
        } else {
          s.putAll(METHODS.get("draft-plus"));
          s.put("kl", method.substring("diversity-plus-kl".length()));
        }
        s.put("reward", "world");
        s.put("lr", "3e-3");
        s.put("steps", steps);
        s.put("eval-every", "10");
      } else {
        s.putAll(METHODS.get(method));
        s.put("reward", "world");
        s.put("lr", "1e-3");
        s.put("steps", steps);
      }
      s.put("seed", String.valueOf(seedOf(run)));
      s.put("sampler-steps", "10");
      s.put("guidance", "5");
      s.put("micro", "4");
      s.put("eval-prompts", "16");
      s.put("eval-seeds", "4");
      s.put("out", dir.toString());
      System.err.println("== run " + run + " " + s);
      TrainRun.run(TrainOptions.parse(s), model);
    }
    // (d) each seed's pushed DRaFT-1 adapter at scales 0..1 on the same prompts and seeds
    for (int seed = 0; seed < seeds; seed++) {
      Path adapter = runs.resolve("diversity-draft-s" + seed).resolve("pytorch_lora_weights.safetensors");
      Path mix = runs.resolve("lora-scale-s" + seed + ".png");
      boolean wanted = only == null || only.contains("lora-scale") || only.contains("lora-scale-s" + seed);
      if (wanted && Files.exists(adapter) && !Files.exists(runs.resolve("lora-scale-s" + seed + ".json"))) {
        System.err.println("== mix " + mix);
        Cli.run(new Mix(), "--a", adapter.toString(), "--out", mix.toString());
      }
    }
    if (!noReport) {
      report(runs, seeds, report, Cli.flags(Cli.given(spec)));
    }
    return 0;
  }

  /** Every run of the report for {@code seeds} training seeds, in the order they are run. */
  static List<String> plan(int seeds) {
    List<String> plan = new ArrayList<>();
    for (String m : METHODS.keySet()) {
      for (int s = 0; s < seeds; s++) {
        plan.add(m + "-s" + s);
      }
    }
    for (int seed = 0; seed < seeds; seed++) {
      plan.add("hacking-s" + seed);
      plan.add("diversity-draft-s" + seed);
      for (String kl : KL_SWEEP) {
        plan.add("diversity-plus-kl" + kl + "-s" + seed);
      }
    }
    return plan;
  }

  /** One finished run: its summary and training-reward curve. */
  record Run(String name, RunSummary summary, double[] reward, double secondsPerStep) {}

  static Run load(Path dir) throws IOException {
    RunSummary s = RunSummary.read(dir.resolve("summary.json"));
    List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl")).stream().filter(l -> !l.isBlank()).toList();
    double[] r = new double[lines.size()];
    double sec = 0;
    for (int i = 0; i < r.length; i++) {
      org.draft4j.train.StepMetrics m = org.draft4j.train.StepMetrics.fromMap(Json.parseObject(lines.get(i)), r.length);
      r[i] = m.rewardMean();
      sec += i == 0 ? 0 : m.seconds();
    }
    return new Run(dir.getFileName().toString(), s, r, r.length > 1 ? sec / (r.length - 1) : Double.NaN);
  }

  /** Trailing moving average over {@code w} steps. */
  static double[] smooth(double[] x, int w) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double s = 0;
      int n = 0;
      for (int j = Math.max(0, i - w + 1); j <= i; j++) {
        s += x[j];
        n++;
      }
      y[i] = s / n;
    }
    return y;
  }

  static double[] mean(List<double[]> xs) {
    int n = xs.stream().mapToInt(a -> a.length).min().orElse(0);
    double[] m = new double[n];
    for (double[] x : xs) {
      for (int i = 0; i < n; i++) {
        m[i] += x[i] / xs.size();
      }
    }
    return m;
  }

  /** Writes {@code report} (and its charts beside it) from the runs under {@code runs}, section by section. */
  static void report(Path runs, int seeds, Path report, String args) throws IOException {
    Map<String, List<Run>> byMethod = loadRuns(runs, seeds);
    Path docs = report.toAbsolutePath().getParent();
    Files.createDirectories(docs);
    Map<String, double[]> curves = rewardCurves(byMethod, docs);
    StringBuilder md = new StringBuilder();
    intro(md, runs, seeds, args);
    Map<String, SeedInterval> after = methodTable(md, byMethod);
    md.append("## Findings\n\n");
    truncationFinding(md, byMethod, curves, after);
    lvVersusReflFinding(md, byMethod, runs, seeds, docs);
    diversityFinding(md, runs, seeds, docs);
    loraScaleFinding(md, runs, seeds, docs);
    hackingFinding(md, byMethod, runs, seeds, docs);
    md.append("Per-run details (settings, terms, oracle before/after, wall time) are in each run's `summary.json`;"
        + " the curves come from its `metrics.jsonl`.\n");
    Files.writeString(report, md.toString());
    System.err.println("wrote " + report.toAbsolutePath());
  }


  /** The runs that finished, by method, in {@link #METHODS} order. */
  private static Map<String, List<Run>> loadRuns(Path runs, int seeds) throws IOException {
    Map<String, List<Run>> byMethod = new LinkedHashMap<>();
    for (String m : METHODS.keySet()) {
      List<Run> rs = finished(runs, m, seeds);
      if (!rs.isEmpty()) {
        byMethod.put(m, rs);
      }
    }
    return byMethod;
  }

  /** The finished runs {@code <method>-s<seed>} of one method, in seed order. */
  private static List<Run> finished(Path runs, String method, int seeds) throws IOException {
    List<Run> rs = new ArrayList<>();
    for (int s = 0; s < seeds; s++) {
      Path d = runs.resolve(method + "-s" + s);
      if (Files.exists(d.resolve("summary.json"))) {
        rs.add(load(d));
      }
    }
    return rs;
  }

  /** The training seed of a run named {@code <method>-s<seed>}. */
  private static int seedOf(String run) {
    return Integer.parseInt(run.substring(run.lastIndexOf("-s") + 2));
  }

  /** Training reward curves (5-step moving average, mean over seeds) to results_reward_curves.png. */
  private static Map<String, double[]> rewardCurves(Map<String, List<Run>> byMethod, Path docs) throws IOException {
    XYChart chart = new XYChartBuilder().width(800).height(480)
        .title("Training reward, 5-step moving average, mean over seeds")
        .xAxisTitle("optimizer step (4 prompts each)").yAxisTitle("reward").build();
    Map<String, double[]> curves = new LinkedHashMap<>();
    byMethod.forEach((m, rs) -> {
      double[] c = mean(rs.stream().map(r -> smooth(r.reward(), 5)).toList());
      curves.put(m, c);
      double[] x = new double[c.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = i + 1;
      }
      chart.addSeries(m, x, c);
    });
    BitmapEncoder.saveBitmap(chart, docs.resolve("results_reward_curves.png").toString(),
        BitmapEncoder.BitmapFormat.PNG);

    return curves;
  }

  private static void intro(StringBuilder md, Path runs, int seeds, String args) {
    md.append("# Results: DRaFT on ShapesWorld\n\n");
    md.append("Generated by `launcher results ").append(args).append("` (examples module; runs in `")
        .append(runs).append("`). Every method fine-tunes a rank-4 LoRA (attention projections) of the shipped"
            + " ShapesWorld v2 model on the world's reward, prompt alignment with the world's CLIP + 0.5 × its"
            + " aesthetic head, with the same budget: AdamW 1e-3, 4 prompts per step (captions of world seed 1),"
            + " DDIM 10 steps under the model's zero-terminal-SNR schedule, guidance 5, eta 0, one run per"
            + " training seed (seeds 0, 1, 2, …: the seed draws the prompts, the noise and the LoRA's"
            + " initialization). Held-out evaluation: 16 captions of world seed 2 × sampling seeds 101–104, the"
            + " same for every run. An interval `m [lo, hi]` is the mean over training seeds with its 95%"
            + " Student-t interval (3 seeds: ±4.30·sd/√3); differences between methods are paired by training"
            + " seed. Machine: 2-core AVX2 CPU, OMP_NUM_THREADS=1, ND4J onednn-avx2, two runs at a time with one"
            + " worker thread each.\n\n");
    List<String> plan = plan(seeds);
    List<String> missing = plan.stream().filter(r -> !Files.exists(runs.resolve(r).resolve("summary.json"))).toList();
    if (!missing.isEmpty()) {
      md.append("**Not finished when this report was written** (").append(missing.size()).append(" of ")
          .append(plan.size()).append(" runs; the findings below use the runs that were): ")
          .append(String.join(", ", missing)).append(".\n\n");
    }
    md.append("![reward curves](results_reward_curves.png)\n\n");
    md.append("Every method draws the same prompts at the same step for a given seed, so the shared rises and"
        + " falls of the training curves are prompt difficulty; compare methods at equal steps, and use the"
        + " held-out columns below for the effect of training.\n\n");
  }

  private static final String[] ATTRIBUTES = {"background", "shape_color", "shape_kind", "size"};

  /** One value per run of a method. */
  private static SeedInterval over(List<Run> rs, java.util.function.ToDoubleFunction<RunSummary> f) {
    return SeedInterval.of(rs.stream().mapToDouble(r -> f.applyAsDouble(r.summary())).toArray());
  }

  /** The per-method table; returns the held-out reward after training by method. */
  private static Map<String, SeedInterval> methodTable(StringBuilder md, Map<String, List<Run>> byMethod) {
    md.append("| method | objective | seeds | held-out reward before → after | oracle fidelity, all judged"
        + " attributes, before → after | bg / colour / kind / size after (before) | diversity before → after |"
        + " s / step |\n|---|---|---|---|---|---|---|---|\n");
    Map<String, SeedInterval> after = new TreeMap<>();
    byMethod.forEach((m, rs) -> {
      SeedInterval a = over(rs, RunSummary::rewardAfter);
      after.put(m, a);
      StringBuilder attrs = new StringBuilder();
      for (String k : ATTRIBUTES) {
        attrs.append(attrs.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.2f (%.2f)",
            over(rs, x -> x.oracleAfter().get(k)).mean(), over(rs, x -> x.oracleBefore().get(k)).mean()));
      }
      double sps = rs.stream().mapToDouble(Run::secondsPerStep).average().orElse(Double.NaN);
      md.append(String.format(Locale.ROOT, "| %s | `%s` | %d | %.2f → **%s** | %.3f → %s | %s | %.3f → %.3f |"
          + " %.1f |%n", m, rs.get(0).summary().objective(), rs.size(), rs.get(0).summary().rewardBefore(),
          a.plain(2), rs.get(0).summary().oracleBefore().get("mean"), over(rs, x -> x.oracleAfter().get("mean"))
              .plain(3), attrs, rs.get(0).summary().diversityBefore(), over(rs, RunSummary::diversityAfter).mean(),
          sps));
    });
    md.append("\nThe base model's values (before) are the same for every run. `s / step` is the wall time per"
        + " optimizer step as the runs went, two at a time on the 2 cores; [benchmarks.md](benchmarks.md) has"
        + " uncontended step times per objective.\n\n");
    return after;
  }

  /**
   * Per-seed differences {@code a − b} of a summary value between two methods, over the training
   * seeds both finished.
   */
  private static SeedInterval paired(List<Run> a, List<Run> b, java.util.function.ToDoubleFunction<RunSummary> f) {
    Map<Integer, RunSummary> bySeed = new LinkedHashMap<>();
    b.forEach(r -> bySeed.put(seedOf(r.name()), r.summary()));
    return SeedInterval.of(a.stream().filter(r -> bySeed.containsKey(seedOf(r.name())))
        .mapToDouble(r -> f.applyAsDouble(r.summary()) - f.applyAsDouble(bySeed.get(seedOf(r.name())))).toArray());
  }

  /** (a) DRaFT-1 versus full DRaFT at equal steps. */
  private static void truncationFinding(StringBuilder md, Map<String, List<Run>> byMethod,
      Map<String, double[]> curves, Map<String, SeedInterval> after) {
    if (curves.containsKey("draft-k1") && curves.containsKey("draft-full")) {
      List<Run> k1 = byMethod.get("draft-k1");
      List<Run> full = byMethod.get("draft-full");
      SeedInterval gap = paired(k1, full, RunSummary::rewardAfter);
      SeedInterval fid = paired(k1, full, x -> x.oracleAfter().get("mean"));
      double speed = avg(full) / avg(k1);
      md.append(String.format(Locale.ROOT, "**(a) K = 1 versus full backpropagation, at equal steps (%d).**"
          + " Held-out reward after training: DRaFT-1 %s, full DRaFT %s; DRaFT-1 − full, paired by seed: %s"
          + " (per seed %s). Oracle fidelity DRaFT-1 − full: %s. Time per step: DRaFT-1 %.1f s, full %.1f s"
          + " (%.1fx). ", k1.get(0).reward().length, after.get("draft-k1").plain(2), after.get("draft-full").plain(2),
          gap.signed(2), gap.perSeed(2), fid.signed(3), avg(k1), avg(full), speed));
      md.append(switch (gap.sign()) {
        case 1 -> "K = 1 ends higher, with an interval above zero, at a fraction of the cost: as in the paper,"
            + " truncating the backward pass to the last step beats backpropagating through all of them.\n\n";
        case -1 -> "Here full backpropagation ends higher, with an interval below zero; the paper found K = 1"
            + " at least as good on its rewards, which this does not reproduce.\n\n";
        default -> String.format(Locale.ROOT, "The interval contains zero: at equal steps K = 1 matches full"
            + " backpropagation within the seed spread here (the paper found K = 1 at least as good), and in equal"
            + " wall time it takes %.1fx as many steps.%n%n", speed);
      });
    }
  }

  /** (b) Steps for DRaFT-LV to reach ReFL's final held-out reward. */
  private static void lvVersusReflFinding(StringBuilder md, Map<String, List<Run>> byMethod, Path runs, int seeds,
      Path docs) throws IOException {
    List<double[][]> lvH = new ArrayList<>();
    List<double[][]> reflH = new ArrayList<>();
    for (int seed = 0; seed < seeds; seed++) {
      double[][] lvRun = evalHistory(runs.resolve("draft-lv-s" + seed));
      double[][] reflRun = evalHistory(runs.resolve("refl-s" + seed));
      if (lvRun != null && reflRun != null) {
        lvH.add(lvRun);
        reflH.add(reflRun);
      }
    }
    if (lvH.isEmpty()) {
      return;
    }
    double[] lv = mean(lvH.stream().map(h -> h[0]).toList());
    double[] refl = mean(reflH.stream().map(h -> h[0]).toList());
    double[] steps = lvH.get(0)[2];
    XYChart lc = new XYChartBuilder().width(640).height(400).title("Held-out reward during training (mean of "
        + lvH.size() + " seeds)").xAxisTitle("optimizer step").yAxisTitle("held-out reward").build();
    lc.addSeries("DRaFT-LV (n = 2)", steps, lv);
    lc.addSeries("ReFL", reflH.get(0)[2], refl);
    BitmapEncoder.saveBitmap(lc, docs.resolve("results_lv_refl.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    // per seed: the first evaluation at which LV reaches that seed's final ReFL reward
    List<String> reach = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < lvH.size(); i++) {
      double[][] l = lvH.get(i);
      double[][] r = reflH.get(i);
      double target = r[0][r[0].length - 1];
      double total = r[2][r[2].length - 1];
      int at = -1;
      for (int j = 0; j < l[0].length; j++) {
        if (l[0][j] >= target) {
          at = j;
          break;
        }
      }
      reach.add(at < 0 ? "– (not within " + (int) total + ")" : String.valueOf((int) l[2][at]));
      if (at > 0) {
        ratios.add(total / l[2][at]);
      }
    }
    SeedInterval gap = paired(byMethod.get("draft-lv"), byMethod.get("refl"), RunSummary::rewardAfter);
    md.append(String.format(Locale.ROOT, "**(b) DRaFT-LV versus ReFL.** ReFL's final held-out reward after %d"
        + " steps: %s. DRaFT-LV (n = 2) first reaches its own seed's ReFL final at step %s (per seed; evaluations"
        + " every %d steps)%s. Final held-out reward DRaFT-LV − ReFL, paired by seed: %s. %s%n%n"
        + "![LV vs ReFL](results_lv_refl.png)%n%n", (int) steps[steps.length - 1],
        over(byMethod.get("refl"), RunSummary::rewardAfter).plain(2), String.join(" / ", reach),
        (int) (steps.length > 1 ? steps[1] - steps[0] : 0),
        ratios.size() == lvH.size() ? ", " + SeedInterval.of(ratios.stream().mapToDouble(Double::doubleValue)
            .toArray()).plain(1) + "x fewer steps" : "", gap.signed(2),
        gap.sign() > 0 ? "DRaFT-LV ends higher with an interval above zero, as the paper reports (it found LV"
            + " about 2x more sample-efficient than ReFL)."
            : gap.sign() < 0 ? "ReFL ends higher here, with an interval below zero: the paper's ordering is not"
                + " reproduced." : "The interval contains zero."));
  }

  /** Evaluation histories of the finished seeds of one diversity configuration, by training seed. */
  private static Map<Integer, double[][]> histories(Path runs, String method, int seeds) throws IOException {
    Map<Integer, double[][]> l = new LinkedHashMap<>();
    for (int s = 0; s < seeds; s++) {
      double[][] h = evalHistory(runs.resolve(method + "-s" + s));
      if (h != null) {
        l.put(s, h);
      }
    }
    return l;
  }

  /** (c) Diversity of DRaFT versus DRaFT+ at equal reward, per KL coefficient. */
  private static void diversityFinding(StringBuilder md, Path runs, int seeds, Path docs) throws IOException {
    Map<String, Map<Integer, double[][]>> configs = new LinkedHashMap<>();
    configs.put("DRaFT-1", histories(runs, "diversity-draft", seeds));
    for (String kl : KL_SWEEP) {
      configs.put("DRaFT+ kl_coeff " + kl, histories(runs, "diversity-plus-kl" + kl, seeds));
    }
    configs.values().removeIf(Map::isEmpty);
    if (!configs.containsKey("DRaFT-1") || configs.size() < 2) {
      return;
    }
    XYChart dc = new XYChartBuilder().width(720).height(460)
        .title("Diversity vs held-out reward per KL coefficient (seed mean)")
        .xAxisTitle("held-out reward").yAxisTitle("mean pairwise RMS distance, 4 seeds per prompt").build();
    XYChart ds = new XYChartBuilder().width(720).height(460).title("Held-out diversity during training")
        .xAxisTitle("optimizer step").yAxisTitle("mean pairwise RMS distance, 4 seeds per prompt").build();
    // the common reward: the lowest, over configurations and seeds, of the highest reward a run reached
    double common = Double.POSITIVE_INFINITY;
    for (Map.Entry<String, Map<Integer, double[][]>> e : configs.entrySet()) {
      List<double[][]> hs = List.copyOf(e.getValue().values());
      double[] r = mean(hs.stream().map(h -> h[0]).toList());
      double[] d = mean(hs.stream().map(h -> h[1]).toList());
      dc.addSeries(e.getKey(), r, d);
      ds.addSeries(e.getKey(), java.util.Arrays.copyOf(hs.get(0)[2], r.length), d);
      for (double[][] h : hs) {
        common = Math.min(common, max(h[0]));
      }
    }
    BitmapEncoder.saveBitmap(dc, docs.resolve("results_diversity.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    BitmapEncoder.saveBitmap(ds, docs.resolve("results_diversity_steps.png").toString(),
        BitmapEncoder.BitmapFormat.PNG);
    Map<Integer, double[][]> base = configs.get("DRaFT-1");
    double[][] first = base.values().iterator().next();
    int steps = (int) first[2][first[2].length - 1];
    md.append(String.format(Locale.ROOT, "**(c) Diversity, DRaFT versus DRaFT+ over KL coefficients.** DRaFT-1"
        + " and DRaFT+ (K = 1) at kl_coeff %s, pushed harder (lr 3e-3, %d steps, held-out evaluation every 10"
        + " steps; diversity = mean pairwise RMS distance between the 4 samples of a prompt, base model %.4f)."
        + " Base model's held-out reward %.2f%s. Compared at equal held-out reward, %.2f (the highest reward every"
        + " run reaches), and at the end (interval over seeds; DRaFT+ minus DRaFT-1 paired by seed):%n%n",
        String.join(", ", KL_SWEEP), steps, first[1][0], first[0][0], belowBase(configs, first[0][0]), common));
    md.append("| configuration | seeds | final held-out reward | final diversity | diversity at reward "
        + String.format(Locale.ROOT, "%.2f", common) + " | minus DRaFT-1, at that reward |\n"
        + "|---|---|---|---|---|---|\n");
    boolean morePlus = false;
    boolean lessPlus = false;
    for (Map.Entry<String, Map<Integer, double[][]>> e : configs.entrySet()) {
      Map<Integer, double[][]> hs = e.getValue();
      double c = common;
      double[] at = hs.values().stream().mapToDouble(h -> diversityAt(h, c)).toArray();
      double[] fr = hs.values().stream().mapToDouble(h -> h[0][h[0].length - 1]).toArray();
      double[] fd = hs.values().stream().mapToDouble(h -> h[1][h[1].length - 1]).toArray();
      // paired by training seed: the seeds both this configuration and DRaFT-1 finished
      double[] diff = hs.keySet().stream().filter(base::containsKey)
          .mapToDouble(seed -> diversityAt(hs.get(seed), c) - diversityAt(base.get(seed), c)).toArray();
      boolean isBase = e.getKey().equals("DRaFT-1");
      SeedInterval d = diff.length == 0 ? null : SeedInterval.of(diff);
      if (!isBase && d != null) {
        morePlus |= d.sign() > 0;
        lessPlus |= d.sign() < 0;
      }
      md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s |%n", e.getKey(), hs.size(),
          SeedInterval.of(fr).plain(2), SeedInterval.of(fd).plain(4), SeedInterval.of(at).plain(4),
          isBase || d == null ? "–" : d.signed(4)));
    }
    md.append("\n").append(morePlus
        ? "At least one KL coefficient keeps more diversity than DRaFT-1 at the same reward, with an interval above"
            + " zero: NeMo's claim for DRaFT+ holds here for that coefficient."
        : lessPlus ? "No KL coefficient keeps more diversity at equal reward; at least one keeps less, with an"
            + " interval below zero: NeMo's claim for DRaFT+ is not reproduced here."
            : "At equal reward no KL coefficient's diversity differs from DRaFT-1's beyond the seed interval"
                + " (the final rewards and diversities per coefficient are in the table).")
        .append("\n\n![diversity](results_diversity.png)\n![diversity versus steps](results_diversity_steps.png)\n\n");
  }

  /**
   * A note on the configurations whose mean final held-out reward is below the base model's (pushed past
   * their peak at this learning rate), or nothing when none is.
   */
  static String belowBase(Map<String, Map<Integer, double[][]>> configs, double baseReward) {
    List<String> below = configs.entrySet().stream()
        .filter(e -> e.getValue().values().stream().mapToDouble(h -> h[0][h[0].length - 1]).average().orElse(
            Double.NaN) < baseReward)
        .map(Map.Entry::getKey).toList();
    return below.isEmpty() ? "" : "; " + String.join(", ", below) + " end below it on average: at this learning"
        + " rate the held-out reward peaks and falls back (the curves below)";
  }

  /** (e) Reward hacking: the aesthetic head alone against the oracle; and the world reward's own blind spot. */
  private static void hackingFinding(StringBuilder md, Map<String, List<Run>> byMethod, Path runs, int seeds,
      Path docs) throws IOException {
    List<Run> hs = finished(runs, "hacking", seeds);
    if (hs.isEmpty()) {
      return;
    }
    Files.copy(runs.resolve("hacking-s0/before_after.png"), docs.resolve("results_hacking.png"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    RunSummary h0 = hs.get(0).summary();
    md.append(String.format(Locale.ROOT, "**(e) Reward hacking.** Over-optimizing the aesthetic head alone (lr"
        + " 5e-3, %d steps, DRaFT-1, %d seeds) raises it from %.2f to %s on the held-out pairs while the oracle's"
        + " prompt fidelity (all judged attributes) goes from %.3f to %s (after, per attribute: background %.2f,"
        + " colour %.2f, kind %.2f, size %.2f; before %.2f / %.2f / %.2f / %.2f) and diversity from %.3f to %s.",
        hs.get(0).reward().length, hs.size(), h0.rewardBefore(), over(hs, RunSummary::rewardAfter).plain(2),
        h0.oracleBefore().get("mean"), over(hs, x -> x.oracleAfter().get("mean")).plain(3),
        over(hs, x -> x.oracleAfter().get("background")).mean(), over(hs, x -> x.oracleAfter().get("shape_color"))
            .mean(), over(hs, x -> x.oracleAfter().get("shape_kind")).mean(),
        over(hs, x -> x.oracleAfter().get("size")).mean(), h0.oracleBefore().get("background"),
        h0.oracleBefore().get("shape_color"), h0.oracleBefore().get("shape_kind"), h0.oracleBefore().get("size"),
        h0.diversityBefore(), over(hs, RunSummary::diversityAfter).plain(3)));
    if (h0.appealBefore() != null && hs.stream().allMatch(r -> r.summary().appealAfter() != null)) {
      Map<String, Double> ab = h0.appealBefore();
      md.append(String.format(Locale.ROOT, " Measured from the pixels (the oracle's foreground mask), the"
          + " components the head was trained on: foreground area %.3f → %s, contrast %.3f → %s, centring %.3f →"
          + " %s; pixel roughness (mean |difference| of adjacent pixels; true renders are flat) %.3f → %s.",
          ab.get("area"), over(hs, x -> x.appealAfter().get("area")).plain(3), ab.get("contrast"),
          over(hs, x -> x.appealAfter().get("contrast")).plain(3), ab.get("centring"),
          over(hs, x -> x.appealAfter().get("centring")).plain(3), ab.get("roughness"),
          over(hs, x -> x.appealAfter().get("roughness")).plain(3)));
    }
    List<Run> k1 = byMethod.get("draft-k1");
    if (k1 != null) {
      SeedInterval kind = over(k1, x -> x.oracleAfter().get("shape_kind") - x.oracleBefore().get("shape_kind"));
      SeedInterval rew = over(k1, x -> x.rewardAfter() - x.rewardBefore());
      md.append(String.format(Locale.ROOT, " On the world reward itself, DRaFT-1 (table above) raises the held-out"
          + " reward by %s while the oracle's shape-kind accuracy changes by %s (per seed %s): %s", rew.signed(2),
          kind.signed(3), kind.perSeed(3), kind.sign() < 0
              ? "the world's CLIP tells shape kinds apart less well than the oracle, and DRaFT exploits it."
              : "a fall in some seeds, within the seed interval."));
    }
    md.append("\n\n![hacking](results_hacking.png)\n\n");
  }

  /** (d) LoRA scale interpolation: each seed's adapter at scales 0..1 ({@code lora-scale-s<seed>.json}). */
  private static void loraScaleFinding(StringBuilder md, Path runs, int seeds, Path docs) throws IOException {
    List<MixReport> mixes = new ArrayList<>();
    for (int s = 0; s < seeds; s++) {
      Path json = runs.resolve("lora-scale-s" + s + ".json");
      if (Files.exists(json)) {
        mixes.add(MixReport.read(json));
      }
    }
    if (mixes.isEmpty()) {
      return;
    }
    Files.copy(runs.resolve("lora-scale-s0.png"), docs.resolve("results_lora_scale.png"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    List<Double> w = mixes.get(0).weights();
    StringBuilder pairs = new StringBuilder();
    boolean monotone = true;
    for (MixReport m : mixes) {
      for (int i = 1; i < m.distances().size(); i++) {
        monotone &= m.distances().get(i) >= m.distances().get(i - 1);
      }
    }
    for (int i = 1; i < w.size(); i++) {
      int j = i;
      pairs.append(i == 1 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f → %s", w.get(i),
          SeedInterval.of(mixes.stream().mapToDouble(m -> m.distances().get(j)).toArray()).plain(4)));
    }
    // how straight the path is: the distance at the middle scale over the distance at the full one
    int mid = w.indexOf(0.5);
    int full = w.size() - 1;
    String straight = mid < 0 ? "" : String.format(Locale.ROOT, " The distance at scale 0.5 is %s of the distance at"
        + " 1.0 (0.5 would be a straight line in pixel space).", SeedInterval.of(mixes.stream()
            .mapToDouble(m -> m.distances().get(mid) / m.distances().get(full)).toArray()).plain(2));
    md.append(String.format(Locale.ROOT, "**(d) LoRA scale interpolation.** Each seed's pushed DRaFT-1 adapter"
        + " (finding c, `diversity-draft-s<seed>`) at scales %s on the same 4 held-out prompts × 2 seeds, 25 DDIM"
        + " steps,"
        + " guidance 5 (`launcher mix --a <adapter>`; %d seeds). RMS pixel distance of each row from the base row"
        + " (scale → distance): %s.%s %s%n%n![lora scale](results_lora_scale.png)%n%n", w, mixes.size(), pairs,
        straight, monotone ? "For every seed the images move away from the base model steadily as the scale grows,"
            + " as in the paper's interpolation figure." : "The distance is not monotone in the scale for every"
                + " seed."));
  }

  /** A run's {@code eval_history} as rows reward, diversity, step; null when the run has none. */
  static double[][] evalHistory(Path dir) throws IOException {
    Path summary = dir.resolve("summary.json");
    if (!Files.exists(summary)) {
      return null;
    }
    List<EvalPoint> h = RunSummary.read(summary).evalHistory();
    if (h == null) {
      return null;
    }
    double[][] r = new double[3][h.size()];
    for (int i = 0; i < h.size(); i++) {
      r[0][i] = h.get(i).reward();
      r[1][i] = h.get(i).diversity();
      r[2][i] = h.get(i).step();
    }
    return r;
  }

  private static double min(double[] x) {
    return java.util.Arrays.stream(x).min().orElse(Double.NaN);
  }

  private static double max(double[] x) {
    return java.util.Arrays.stream(x).max().orElse(Double.NaN);
  }

  /**
   * Diversity where a trajectory first reaches {@code reward}, linearly interpolated between the two
   * evaluations around that point.
   */
  static double diversityAt(double[][] h, double reward) {
    if (h[0][0] >= reward) {
      return h[1][0];
    }
    for (int i = 1; i < h[0].length; i++) {
      if (h[0][i] >= reward) {
        double f = (reward - h[0][i - 1]) / (h[0][i] - h[0][i - 1]);
        return h[1][i - 1] + f * (h[1][i] - h[1][i - 1]);
      }
    }
    return h[1][h[1].length - 1];
  }

  private static double avg(List<Run> rs) {
    return rs.stream().mapToDouble(Run::secondsPerStep).average().orElse(Double.NaN);
  }
}
