package org.draft4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.draft4j.io.Json;
import org.draft4j.models.TextToImageModel;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * The results report (docs/results.md): reproduces the DRaFT paper's qualitative findings on
 * ShapesWorld. Every method fine-tunes the same rank-4 LoRA of the shipped model on the world's
 * reward (alignment + 0.5·aesthetic) with the same budget (steps × 4 prompts, AdamW 1e-3, DDIM 10
 * steps, guidance 5), for several seeds; each run is an ordinary {@code train} run in
 * {@code RUNS/<method>-s<seed>/}. Runs that already have a summary are not repeated, so the command
 * can be split across processes with {@code --only} and rerun to assemble the report.
 *
 * <p>Flags: {@code --runs DIR} (results-runs), {@code --seeds N} (2), {@code --steps N} (30),
 * {@code --only LIST} (comma-separated run names or methods), {@code --report FILE} (docs/results.md),
 * {@code --no-report true}.
 */
public final class Results {
  /** Method name → settings (besides the shared ones). */
  static final Map<String, Map<String, String>> METHODS = new LinkedHashMap<>();

  static {
    METHODS.put("draft-full", Map.of("objective", "draft"));
    METHODS.put("draft-k1", Map.of("objective", "draft-k", "k", "1"));
    METHODS.put("draft-k2", Map.of("objective", "draft-k", "k", "2"));
    METHODS.put("draft-k5", Map.of("objective", "draft-k", "k", "5"));
    // held-out evaluations every 5 steps (they do not change training): how soon LV reaches ReFL
    METHODS.put("draft-lv", Map.of("objective", "draft-lv", "lv-n", "2", "eval-every", "5"));
    METHODS.put("draft-plus", Map.of("objective", "draft-plus", "k", "1", "kl", "10"));
    METHODS.put("refl", Map.of("objective", "refl", "eval-every", "5"));
  }

  private Results() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> f = Flags.parse(args, "runs", "seeds", "steps", "only", "report", "no-report");
    Path runs = Path.of(f.getOrDefault("runs", "results-runs"));
    int seeds = Integer.parseInt(f.getOrDefault("seeds", "2"));
    String steps = f.getOrDefault("steps", "30");
    List<String> only = f.containsKey("only") ? List.of(f.get("only").split(",")) : null;
    TextToImageModel model = null;
    List<String> plan = new ArrayList<>();
    for (String m : METHODS.keySet()) {
      for (int s = 0; s < seeds; s++) {
        plan.add(m + "-s" + s);
      }
    }
    plan.add("hacking-s0");
    plan.add("diversity-draft-s0");
    plan.add("diversity-plus-s0");
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
        // over-optimization: the aesthetic head alone, 5x the learning rate, 2x the steps
        s.put("objective", "draft-k");
        s.put("k", "1");
        s.put("reward", "aesthetic");
        s.put("lr", "5e-3");
        s.put("steps", String.valueOf(2 * Integer.parseInt(steps)));
      } else if (method.startsWith("diversity-")) {
        // DRaFT-1 and DRaFT+ pushed further (3x the learning rate, 2x the steps), evaluated every 5 steps,
        // so that diversity can be compared at equal held-out reward
        s.putAll(METHODS.get(method.equals("diversity-draft") ? "draft-k1" : "draft-plus"));
        s.put("reward", "world");
        s.put("lr", "3e-3");
        s.put("steps", String.valueOf(2 * Integer.parseInt(steps)));
        s.put("eval-every", "5");
      } else {
        s.putAll(METHODS.get(method));
        s.put("reward", "world");
        s.put("lr", "1e-3");
        s.put("steps", steps);
      }
      s.put("seed", run.substring(run.lastIndexOf("-s") + 2));
      s.put("sampler-steps", "10");
      s.put("guidance", "5");
      s.put("micro", "4");
      s.put("out", dir.toString());
      System.err.println("== run " + run + " " + s);
      TrainRun.run(s, model);
    }
    if (!Boolean.parseBoolean(f.getOrDefault("no-report", "false"))) {
      report(runs, seeds, Path.of(f.getOrDefault("report", "docs/results.md")), String.join(" ", args));
    }
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
    intro(md, runs, args);
    Map<String, double[]> after = methodTable(md, byMethod);
    md.append("## Findings\n\n");
    truncationFinding(md, byMethod, curves, after);
    lvVersusReflFinding(md, byMethod, runs, seeds, docs);
    diversityFinding(md, runs, docs);
    hackingFinding(md, runs, docs);
    loraScaleFinding(md, docs);
    md.append("Per-run details (settings, terms, oracle before/after, wall time) are in each run's `summary.json`;"
        + " the curves come from its `metrics.jsonl`.\n");
    Files.writeString(report, md.toString());
    System.err.println("wrote " + report.toAbsolutePath());
  }


  /** The runs that finished, by method, in {@link #METHODS} order. */
  private static Map<String, List<Run>> loadRuns(Path runs, int seeds) throws IOException {
    Map<String, List<Run>> byMethod = new LinkedHashMap<>();
    for (String m : METHODS.keySet()) {
      for (int s = 0; s < seeds; s++) {
        Path d = runs.resolve(m + "-s" + s);
        if (Files.exists(d.resolve("summary.json"))) {
          byMethod.computeIfAbsent(m, k -> new ArrayList<>()).add(load(d));
        }
      }
    }
    return byMethod;
  }

  /** Training reward curves (5-step moving average, mean over seeds) to results_reward_curves.png. */
  private static Map<String, double[]> rewardCurves(Map<String, List<Run>> byMethod, Path docs) throws IOException {
    XYChart chart = new XYChartBuilder().width(800).height(480)
        .title("Training reward (alignment + 0.5 aesthetic), 5-step moving average, mean over the seeds run")
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

  private static void intro(StringBuilder md, Path runs, String args) {
    md.append("# Results: DRaFT on ShapesWorld\n\n");
    md.append("Generated by `launcher results ").append(args).append("` (examples module; runs in `")
        .append(runs).append("`). Every method fine-tunes a rank-4 LoRA (attention projections) of the shipped"
            + " ShapesWorld model on the world's reward, prompt alignment with the world's CLIP + 0.5 × its"
            + " aesthetic head, with the same budget: AdamW 1e-3, 4 prompts per step (captions of world seed 1),"
            + " DDIM 10 steps, guidance 5, eta 0; ")
        .append("seeds per method as listed in the table. Held-out evaluation: 4 captions of world seed 2 ×"
            + " sampling seeds 101–104, the same for every run. Machine: 2-core AVX2 CPU, OMP_NUM_THREADS=1, ND4J"
            + " onednn-avx2.\n\n");
    md.append("![reward curves](results_reward_curves.png)\n\n");
    md.append("Every method draws the same prompts at the same step for a given seed, so the shared rises and"
        + " falls of the training curves are prompt difficulty; compare methods at equal steps, and use the"
        + " held-out columns below for the effect of training.\n\n");
  }

  /** The per-method table; returns held-out reward and diversity after training by method. */
  private static Map<String, double[]> methodTable(StringBuilder md, Map<String, List<Run>> byMethod) {
    md.append("| method | objective | seeds | held-out reward before → after (mean over seeds; per seed) | oracle"
        + " fidelity before → after (bg / colour / kind / size) | diversity before → after | s / step |\n"
        + "|---|---|---|---|---|---|---|\n");
    Map<String, double[]> after = new TreeMap<>();
    byMethod.forEach((m, rs) -> {
      double b = rs.stream().mapToDouble(r -> r.summary().rewardBefore()).average().orElse(Double.NaN);
      double a = rs.stream().mapToDouble(r -> r.summary().rewardAfter()).average().orElse(Double.NaN);
      String per = String.join(", ", rs.stream().map(r -> String.format(Locale.ROOT, "%.2f",
          r.summary().rewardAfter())).toList());
      double[] fid = new double[4];
      double[] fid0 = new double[4];
      String[] keys = {"background", "shape_color", "shape_kind", "size"};
      for (Run r : rs) {
        Map<String, Double> o = r.summary().oracleAfter();
        Map<String, Double> o0 = r.summary().oracleBefore();
        for (int i = 0; i < 4; i++) {
          fid[i] += o.get(keys[i]) / rs.size();
          fid0[i] += o0.get(keys[i]) / rs.size();
        }
      }
      double db = rs.stream().mapToDouble(r -> r.summary().diversityBefore()).average().orElse(Double.NaN);
      double da = rs.stream().mapToDouble(r -> r.summary().diversityAfter()).average().orElse(Double.NaN);
      double sps = rs.stream().mapToDouble(Run::secondsPerStep).average().orElse(Double.NaN);
      after.put(m, new double[] {a, da});
      md.append(String.format(Locale.ROOT, "| %s | `%s` | %d | %.2f → **%.2f** (%s) | %.2f / %.2f / %.2f / %.2f → %.2f /"
          + " %.2f / %.2f / %.2f | %.3f → %.3f | %.1f |%n", m, rs.get(0).summary().objective(), rs.size(), b, a,
          per, fid0[0], fid0[1], fid0[2], fid0[3], fid[0], fid[1], fid[2], fid[3], db, da, sps));
    });
    md.append("\n`s / step` is the wall time per optimizer step as the runs went, some of them beside other jobs on"
        + " the same 2 cores; [benchmarks.md](benchmarks.md) has uncontended step times per objective.\n\n");
    return after;
  }

  /** (a) DRaFT-1 versus full DRaFT at equal steps. */
  private static void truncationFinding(StringBuilder md, Map<String, List<Run>> byMethod,
      Map<String, double[]> curves, Map<String, double[]> after) {
    if (curves.containsKey("draft-k1") && curves.containsKey("draft-full")) {
      double[] k1 = curves.get("draft-k1");
      double[] full = curves.get("draft-full");
      md.append(String.format(Locale.ROOT, "**K = 1 versus full backpropagation.** Final smoothed training reward:"
          + " DRaFT-1 %.3f, full DRaFT %.3f; held-out after training: DRaFT-1 %.3f, full %.3f. Time per step:"
          + " DRaFT-1 %.1f s, full %.1f s. ", k1[k1.length - 1], full[full.length - 1], after.get("draft-k1")[0],
          after.get("draft-full")[0], avg(byMethod.get("draft-k1")), avg(byMethod.get("draft-full"))));
      double spread = Math.max(range(byMethod.get("draft-k1")), range(byMethod.get("draft-full")));
      double gap = after.get("draft-k1")[0] - after.get("draft-full")[0];
      if (Math.abs(gap) <= spread) {
        md.append(String.format(Locale.ROOT, "The held-out gap (%+.3f) is within the spread between seeds of one"
            + " method (up to %.3f), so here K = 1 matches full backpropagation rather than beating it, at %.1fx"
            + " less time per step; the paper found K = 1 at least as good, which this agrees with.%n%n", gap,
            spread, avg(byMethod.get("draft-full")) / avg(byMethod.get("draft-k1"))));
      } else if (gap > 0) {
        md.append(String.format(Locale.ROOT, "K = 1 ends higher by %.3f, more than the spread between seeds"
            + " (%.3f), at %.1fx less time per step: as in the paper, truncating to the last step beats"
            + " backpropagating through all of them.%n%n", gap, spread,
            avg(byMethod.get("draft-full")) / avg(byMethod.get("draft-k1"))));
      } else {
        md.append(String.format(Locale.ROOT, "Here full backpropagation ends higher by %.3f, more than the spread"
            + " between seeds (%.3f); the paper found K = 1 better on its rewards.%n%n", -gap, spread));
      }
    }
  }

  /** (b) Steps for DRaFT-LV to reach ReFL's final held-out reward. */
  private static void lvVersusReflFinding(StringBuilder md, Map<String, List<Run>> byMethod, Path runs, int seeds,
      Path docs) throws IOException {
    if (byMethod.containsKey("draft-lv") && byMethod.containsKey("refl")) {
      List<double[][]> lvH = new ArrayList<>();
      List<double[][]> reflH = new ArrayList<>();
      for (int seed = 0; seed < seeds; seed++) {
        Path lvDir = runs.resolve("draft-lv-s" + seed);
        Path reflDir = runs.resolve("refl-s" + seed);
        double[][] lvRun = evalHistory(lvDir);
        double[][] reflRun = evalHistory(reflDir);
        if (lvRun != null && reflRun != null) {
          lvH.add(lvRun);
          reflH.add(reflRun);
        }
      }
      if (!lvH.isEmpty()) {
        // held-out reward after each evaluation, mean over the seeds that have both trajectories
        double[] lv = mean(lvH.stream().map(h -> h[0]).toList());
        double[] refl = mean(reflH.stream().map(h -> h[0]).toList());
        double[] steps = lvH.get(0)[2];
        double target = refl[refl.length - 1];
        int reach = -1;
        for (int i = 0; i < lv.length; i++) {
          if (lv[i] >= target) {
            reach = i;
            break;
          }
        }
        XYChart lc = new XYChartBuilder().width(640).height(400).title("Held-out reward during training (mean of "
            + lvH.size() + " seeds)").xAxisTitle("optimizer step").yAxisTitle("held-out reward").build();
        lc.addSeries("DRaFT-LV (n = 2)", steps, lv);
        lc.addSeries("ReFL", reflH.get(0)[2], refl);
        BitmapEncoder.saveBitmap(lc, docs.resolve("results_lv_refl.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        StringBuilder tr = new StringBuilder();
        for (int i = 0; i < lv.length; i++) {
          tr.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%d: %.2f / %.2f", (int) steps[i], lv[i],
              i < refl.length ? refl[i] : Double.NaN));
        }
        md.append(String.format(Locale.ROOT, "**DRaFT-LV versus ReFL.** Held-out reward every 5 steps (mean of %d"
            + " seeds; step: DRaFT-LV / ReFL): %s. ReFL ends at %.3f after %d steps; DRaFT-LV (n = 2) %s.%n%n"
            + "![LV vs ReFL](results_lv_refl.png)%n%n", lvH.size(), tr, target, (int) reflH.get(0)[2][refl.length - 1],
            reach < 0 ? "does not reach it within " + (int) steps[steps.length - 1] + " steps"
                : reach == 0 ? "is there before training (ReFL did not improve on the base model)"
                    : "first reaches it at step " + (int) steps[reach] + " (" + String.format(Locale.ROOT, "%.1f",
                        reflH.get(0)[2][refl.length - 1] / steps[reach]) + "x fewer steps)"));
      }
    }
  }

  /** (c) Diversity of DRaFT versus DRaFT+ at equal reward. */
  private static void diversityFinding(StringBuilder md, Path runs, Path docs) throws IOException {
    double[][] d = evalHistory(runs.resolve("diversity-draft-s0"));
    double[][] p = evalHistory(runs.resolve("diversity-plus-s0"));
    if (d != null && p != null) {
      XYChart dc = new XYChartBuilder().width(640).height(420)
          .title("Diversity versus held-out reward (evaluated every 5 steps)")
          .xAxisTitle("held-out reward").yAxisTitle("mean pairwise RMS distance, 4 seeds per prompt").build();
      dc.addSeries("DRaFT-1", d[0], d[1]);
      dc.addSeries("DRaFT+ (K = 1, kl_coeff 10)", p[0], p[1]);
      BitmapEncoder.saveBitmap(dc, docs.resolve("results_diversity.png").toString(), BitmapEncoder.BitmapFormat.PNG);
      // compare at the highest reward both reached: interpolate each trajectory's diversity there
      double common = Math.min(max(d[0]), max(p[0]));
      double dd = diversityAt(d, common);
      double dp = diversityAt(p, common);
      int last = d[1].length - 1;
      int lastP = p[1].length - 1;
      md.append(String.format(Locale.ROOT, "**Diversity, DRaFT versus DRaFT+.** Both pushed further (lr 3e-3, %d"
          + " steps, evaluated every 5 steps on the held-out pairs; diversity = mean pairwise RMS distance between"
          + " the 4 samples of a prompt, base model %.4f). At equal held-out reward, %.3f (the highest both"
          + " reach), diversity is %.4f for DRaFT-1 and %.4f for DRaFT+. Over the whole run DRaFT-1's held-out"
          + " reward ranges %.2f–%.2f and its diversity ends at %.4f (%+.1f%%, lowest %.4f); DRaFT+'s reward"
          + " ranges %.2f–%.2f and its diversity ends at %.4f (%+.1f%%). ", (int) d[2][last], d[1][0], common, dd,
          dp, min(d[0]), max(d[0]), d[1][last], 100 * (d[1][last] / d[1][0] - 1), min(d[1]), min(p[0]), max(p[0]),
          p[1][lastP], 100 * (p[1][lastP] / p[1][0] - 1)));
      boolean draftLost = d[1][last] < 0.97 * d[1][0];
      boolean plusKept = p[1][lastP] >= 0.99 * p[1][0];
      md.append(draftLost && plusKept
          ? "DRaFT-1's diversity falls over the run and DRaFT+'s does not: the KL term prevents that drift;"
              + " at the same reward the two are alike here, because the KL term also keeps DRaFT+ from reaching"
              + " DRaFT-1's higher rewards in this budget.\n\n"
          : Math.abs(dp - dd) < 0.005 && !draftLost
              ? "Neither method lost diversity within this budget.\n\n"
              : dp > dd ? "DRaFT+ keeps more diversity at the same reward.\n\n"
                  : "DRaFT+ does not keep more diversity than DRaFT-1 here.\n\n");
      XYChart ds = new XYChartBuilder().width(640).height(420).title("Held-out diversity during training")
          .xAxisTitle("optimizer step").yAxisTitle("mean pairwise RMS distance, 4 seeds per prompt").build();
      ds.addSeries("DRaFT-1", d[2], d[1]);
      ds.addSeries("DRaFT+ (K = 1, kl_coeff 10)", p[2], p[1]);
      BitmapEncoder.saveBitmap(ds, docs.resolve("results_diversity_steps.png").toString(),
          BitmapEncoder.BitmapFormat.PNG);
      md.append("![diversity versus steps](results_diversity_steps.png)\n");
      md.append("![diversity](results_diversity.png)\n\n");
    }
  }

  /** (e) Reward hacking: the aesthetic head alone against the oracle. */
  private static void hackingFinding(StringBuilder md, Path runs, Path docs) throws IOException {
    Path hack = runs.resolve("hacking-s0");
    if (Files.exists(hack.resolve("summary.json"))) {
      Run h = load(hack);
      Files.copy(hack.resolve("before_after.png"), docs.resolve("results_hacking.png"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      RunSummary hs = h.summary();
      Map<String, Double> fb = hs.oracleBefore();
      Map<String, Double> fa = hs.oracleAfter();
      md.append(String.format(Locale.ROOT, "**Reward hacking.** Over-optimizing the aesthetic head alone (lr 5e-3,"
          + " %d steps, DRaFT-1) raises it from %.2f to %.2f on the held-out seeds while the oracle's prompt"
          + " fidelity (all judged attributes) falls from %.3f to %.3f (background %.2f → %.2f, colour %.2f → %.2f,"
          + " kind %.2f → %.2f, size %.2f → %.2f) and diversity moves from %.3f to %.3f.", h.reward().length,
          hs.rewardBefore(), hs.rewardAfter(), fb.get("mean"), fa.get("mean"),
          fb.get("background"), fa.get("background"), fb.get("shape_color"), fa.get("shape_color"),
          fb.get("shape_kind"), fa.get("shape_kind"), fb.get("size"), fa.get("size"),
          hs.diversityBefore(), hs.diversityAfter()));
      Map<String, Double> ab = hs.appealBefore();
      Map<String, Double> aa = hs.appealAfter();
      if (ab != null && aa != null) {
        md.append(String.format(Locale.ROOT, " Measured from the pixels (the oracle's foreground mask), the"
            + " components the head was trained on move as follows: foreground area %.3f → %.3f, contrast"
            + " %.3f → %.3f, centring %.3f → %.3f.", ab.get("area"), aa.get("area"), ab.get("contrast"),
            aa.get("contrast"), ab.get("centring"), aa.get("centring")));
        if (ab.containsKey("roughness")) {
          md.append(String.format(Locale.ROOT, " Pixel roughness (mean |difference| of adjacent pixels; ground-truth"
              + " renders are flat) goes from %.3f to %.3f: %s", ab.get("roughness"), aa.get("roughness"),
              aa.get("roughness") > 1.5 * ab.get("roughness")
                  ? "the head is also satisfied by speckle the world never contains, a failure no aesthetic"
                      + " target asked for, which is what reward hacking looks like."
                  : "no speckle was added."));
        }
      }
      md.append("\n\n![hacking](results_hacking.png)\n\n");
    }
  }

  /** (d) LoRA scale interpolation. */
  private static void loraScaleFinding(StringBuilder md, Path docs) throws IOException {
    Path mix = docs.resolve("results_lora_scale.png");
    Path mixJson = docs.resolve("results_lora_scale.json");
    if (Files.exists(mix) && Files.exists(mixJson)) {
      MixReport mj = MixReport.read(mixJson);
      List<Double> w = mj.weights();
      List<Double> dist = mj.distances();
      boolean monotone = true;
      for (int i = 1; i < dist.size(); i++) {
        monotone &= dist.get(i).doubleValue() >= dist.get(i - 1).doubleValue();
      }
      StringBuilder pairs = new StringBuilder();
      for (int i = 0; i < w.size(); i++) {
        pairs.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f → %.4f", w.get(i).doubleValue(),
            dist.get(i).doubleValue()));
      }
      md.append(String.format(Locale.ROOT, "**LoRA scale interpolation.** One adapter (`%s`) at scales %s on the"
          + " same prompts and seeds (`launcher mix --a <adapter> --out docs/results_lora_scale.png`). RMS pixel"
          + " distance of each row from the base row (scale → distance): %s; %s%n%n"
          + "![lora scale](results_lora_scale.png)%n%n", mj.adapters().get(0), w, pairs,
          monotone ? "the images move away from the base model steadily as the scale grows, as in the paper's"
              + " interpolation figure." : "the distance is not monotone in the scale."));
    }
  }

  /** Max − min of the held-out reward after training over a method's seeds. */
  private static double range(List<Run> rs) {
    double lo = rs.stream().mapToDouble(r -> r.summary().rewardAfter()).min().orElse(0);
    double hi = rs.stream().mapToDouble(r -> r.summary().rewardAfter()).max().orElse(0);
    return hi - lo;
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
