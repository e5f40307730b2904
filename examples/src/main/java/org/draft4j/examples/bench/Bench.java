package org.draft4j.examples.bench;

import org.draft4j.engine.ExecutionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Choices;
import org.draft4j.examples.cli.Cli;
import org.draft4j.lora.Lora;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.Objectives;
import org.draft4j.rewards.Rewards;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldArchitecture;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.train.Memory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmarks, appended to {@code docs/benchmarks.md} with machine information and the command:
 * {@code sd15-unet} (parameter count, init, save/load and one 64×64 forward of an SD 1.5-sized UNet
 * with random weights) and {@code chain} (one DRaFT-K training step on the ShapesWorld model at
 * K = 1, 5, 20, 50 with 50 DDIM steps: wall time and peak resident memory, heap + native).
 *
 * {@code throughput}: the same machine's float32 matrix-multiply GFLOP/s, UNet forward and VJP
 * GFLOP/s (MACs counted by {@link UNetFlops}), sampling images/s, and the step time and peak memory
 * of every objective at K = 1 for batch sizes 1, 4 and 8 (ShapesWorld model, DDIM 10 steps); each
 * time a median over repeated calls after a warm-up call of the same shape.
 *
 * {@code soak} (not part of "all"): {@code --steps N} DRaFT-1 training steps on a tiny model, resident
 * memory sampled every 100 steps, to show that memory stays flat over long runs.
 *
 * {@code sd15-step} (not part of "all"): whole DRaFT steps at SD 1.5 size ({@link RealSizeStep}); the
 * random-weight folders are written once under {@code --models DIR} (default
 * target/sd15-step-models, about 10 GB); {@code --steps N} steps per DRaFT-1 / DRaFT-LV case (default 2);
 * with {@code --sources} it runs the DRaFT-1 PickScore case once per form the model is loaded from. {@code sd15-load} (not
 * part of "all"): the SD 1.5-size model loaded from each of {@code --sources} (F32 folder, fp16-variant
 * folder, single-file LDM safetensors, {@code .ckpt}): load time and resident memory. {@code threads} (not part of
 * "all"): the ShapesWorld UNet with 1 and 2 engine workers at batch 1 and 8, the table {@code engine} ends with;
 * {@code sd15-threads} (not part of "all"): the SD 1.5 UNet at batch 1 with 1 and 2 workers.
 *
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Benchmarks, appended to docs/benchmarks.md with the machine and the command.")
public final class Bench implements Callable<Integer> {
  @Option(names = "--only", description = "all (sd15-unet, chain, throughput, engine, sd15) | sd15-unet | chain |"
      + " throughput | engine | threads | sd15 | sd15-threads | sd15-step | sd15-load | blas | soak | spark (default: ${DEFAULT-VALUE})")
  @Choices({"all", "sd15-unet", "chain", "throughput", "engine", "threads", "sd15", "sd15-threads", "sd15-step",
      "sd15-load", "blas", "soak", "spark"})
  String only = "all";

  @Option(names = "--sources", split = ",", description = "sd15-load and sd15-step: the forms the SD 1.5-size model"
      + " is loaded from, comma-separated: folder | fp16 | single-file | ckpt (sd15-load default: folder; sd15-step"
      + " without it runs its four cases from the folder, with it the DRaFT-1 PickScore case from each form)")
  List<String> sources;

  @Option(names = "--steps", description = "soak: training steps (default 2000); sd15-step: steps per case"
      + " (default 2)")
  @Bounds(min = 1)
  Integer steps;

  @Option(names = "--batch", split = ",", description = "chain: batch sizes, comma-separated (default: 1)")
  List<Integer> batch = List.of(1);

  @Option(names = "--models", description = "sd15-step: folder of the random-weight SD-size models, written once"
      + " (default: ${DEFAULT-VALUE})")
  Path models = Path.of("target/sd15-step-models");

  @Option(names = "--out", description = "the benchmark log (default: ${DEFAULT-VALUE})")
  Path out = Path.of("docs/benchmarks.md");

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  Bench() {}

  @Override
  public Integer call() throws Exception {
    for (int b : batch) {
      if (b < 1) {
        throw Cli.bad("batch", String.valueOf(b), "positive integers (comma-separated)");
      }
    }
    if (sources != null && !only.equals("sd15-load") && !only.equals("sd15-step")) {
      throw new IllegalArgumentException("--sources is read by --only sd15-load and sd15-step only, not by --only "
          + only);
    }
    for (String s : sources == null ? List.<String>of() : sources) {
      if (!RealSizeStep.SOURCES.containsKey(s)) {
        throw Cli.bad("sources", s, "folder, fp16, single-file or ckpt (comma-separated)");
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("\n## Run of ").append(Instant.now()).append("\n\n");
    String given = Cli.flags(Cli.given(spec));
    picocli.CommandLine parent = spec.commandLine().getParent();
    Integer threads = spec.commandLine().getParseResult().matchedOptionValue("--threads",
        parent == null ? null : parent.getParseResult().matchedOptionValue("--threads", (Integer) null));
    String line = (threads == null ? "" : "--threads " + threads + " ") + "bench" + (given.isEmpty() ? "" : " ") + given;
    md.append("Command: `").append("script".equals(System.getProperty("draft4j.launcher")) ? "./draft4j " + line
        : "mvn -B -q -pl examples exec:exec -Dlauncher.args=\"" + line + "\"").append("` (from the repository root)\n\n");
    md.append(machine()).append('\n');
    if (only.equals("all") || only.equals("sd15-unet")) {
      md.append(sd15Unet());
    }
    if (only.equals("all") || only.equals("chain")) {
      for (int b : batch) {
        md.append(chain(b));
      }
    }
    if (only.equals("all") || only.equals("throughput")) {
      md.append(throughput());
    }
    if (only.equals("all") || only.equals("engine")) {
      md.append(EngineBench.shapesWorld());
    }
    if (only.equals("threads")) {
      md.append(EngineBench.threadsOnly());
    }
    if (only.equals("sd15-threads")) {
      md.append(EngineBench.sd15Threads());
    }
    if (only.equals("all") || only.equals("sd15")) {
      md.append(EngineBench.sd15());
    }
    if (only.equals("sd15-step")) {
      md.append(RealSizeStep.bench(models, steps == null ? 2 : steps, sources));
    }
    if (only.equals("blas")) {
      md.append(BlasProbe.bench());
    }
    if (only.equals("sd15-load")) {
      md.append(RealSizeStep.loads(models, sources == null ? List.of("folder") : sources));
    }
    if (only.equals("soak")) {
      md.append(soak(steps == null ? 2000 : steps));
    }
    if (only.equals("spark")) {
      md.append(SparkBench.run(steps == null ? 5 : steps));
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    if (!Files.exists(out)) {
      Files.writeString(out, "# draft4j benchmarks\n\nEach section is one run of the launcher's `bench` command;"
          + " newest last. Times are wall-clock on the machine described in the section.\n");
    }
    Files.writeString(out, md.toString(), StandardOpenOption.APPEND);
    System.out.println(md);
    return 0;
  }

  static String machine() {
    String cpu = "unknown";
    try {
      List<String> info = Files.readAllLines(Path.of("/proc/cpuinfo"));
      cpu = info.stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
      String flags = info.stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
      cpu += flags.contains(" avx512f") ? " (AVX-512)" : flags.contains(" avx2") ? " (AVX2)" : "";
    } catch (IOException ignored) {
      // not Linux
    }
    return String.format(Locale.ROOT, "Machine: %s, %d cores, JVM %s, max heap %d MB, OMP_NUM_THREADS=%s,"
        + " engine threads (default) %d, ND4J %s%n",
        cpu, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20, System.getenv("OMP_NUM_THREADS"),
        org.draft4j.engine.ExecutionContext.defaultOptions().threads(),
        Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "?") + " "
            + Nd4j.getBackend().getClass().getSimpleName());
  }

  /** Resets the kernel's peak-RSS counter (VmHWM) so the next case's peak is its own. */
  static void resetPeak() {
    System.gc();
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException | RuntimeException ignored) {
      // not Linux: peaks accumulate
    }
  }

  static String sd15Unet() throws IOException {
    UNet2DConditionConfig c = UNet2DConditionConfig.fromJson(Map.of(), "SD 1.5 defaults");
    long t0 = System.nanoTime();
    UNet2DConditionModel u = UNet2DConditionModel.random(c, 0);
    double init = (System.nanoTime() - t0) / 1e9;
    Path dir = Files.createTempDirectory("sd15-unet");
    t0 = System.nanoTime();
    u.save(dir);
    double save = (System.nanoTime() - t0) / 1e9;
    long params = u.parameterCount();
    u = null;
    System.gc();
    t0 = System.nanoTime();
    UNet2DConditionModel loaded = UNet2DConditionModel.load(dir);
    double load = (System.nanoTime() - t0) / 1e9;
    UNetDenoiser d = new UNetDenoiser(loaded, 64, 64, 77, ExecutionContext.shared());
    Nd4j.getRandom().setSeed(0);
    INDArray x = Nd4j.randn(DataType.FLOAT, 1, 4, 64, 64);
    INDArray ctx = Nd4j.randn(DataType.FLOAT, 1, 77, 768);
    INDArray t = Nd4j.createFromArray(new float[] {500});
    resetPeak();
    double[] fwd = new double[2];
    for (int i = 0; i < 2; i++) {
      t0 = System.nanoTime();
      d.predict(x, t, ctx);
      fwd[i] = (System.nanoTime() - t0) / 1e9;
    }
    long peak = Memory.peakResidentBytes();
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
    return String.format(Locale.ROOT, "### SD 1.5-sized UNet (random weights, diffusers default config)%n%n"
        + "| parameters | random init | save (safetensors) | load (safetensors) | forward B=1 64×64, first | second |"
        + " peak RSS during forward |%n|---|---|---|---|---|---|---|%n| %,d | %.1f s | %.1f s | %.1f s | %.1f s | %.1f s |"
        + " %.1f GB |%n%n", params, init, save, load, fwd[0], fwd[1], peak / 1e9);
  }

  static String soak(int steps) {
    TextToImageModel tiny = tinyModel();
    StringBuilder sb = new StringBuilder();
    sb.append("### Soak: ").append(steps).append(" DRaFT-1 steps on a tiny model (8×8, channels 8/16, Ddim 4 steps,"
        + " batch 2, LoRA rank 2, compressibility)\n\n| step | RSS | heap used |\n|---|---|---|\n");
    List<long[]> samples = new ArrayList<>();
    try (org.draft4j.train.DraftTrainer t = org.draft4j.train.DraftTrainer.builder().model(tiny)
        .sampler(Ddim.steps(4).guidance(2.0)).reward(Rewards.compressibility()).adapter(Lora.rank(2))
        .objective(Objectives.draftK(1)).optimizer(org.draft4j.optim.AdamW.lr(1e-3))
        .prompts(ShapesWorld.captions(0, 100)).batch(2, 2).seed(0)
        .listener(new org.draft4j.train.TrainingListener() {
          @Override
          public void onStep(org.draft4j.train.StepMetrics m) {
            if (m.step() % 100 == 0 || m.step() == 1) {
              Runtime r = Runtime.getRuntime();
              samples.add(new long[] {m.step(), Memory.residentBytes(), r.totalMemory() - r.freeMemory()});
              System.err.printf(Locale.ROOT, "soak step %d rss %.0f MB%n", m.step(), Memory.residentBytes() / 1e6);
            }
          }
        }).build()) {
      t.fit(steps);
    }
    long max = 0;
    long min = Long.MAX_VALUE;
    for (long[] s : samples) {
      sb.append(String.format(Locale.ROOT, "| %d | %.0f MB | %.0f MB |%n", s[0], s[1] / 1e6, s[2] / 1e6));
      if (s[0] >= 200) {
        max = Math.max(max, s[1]);
        min = Math.min(min, s[1]);
      }
    }
    return sb.append(String.format(Locale.ROOT, "%nRSS from step 200 on: min %.0f MB, max %.0f MB.%n%n", min / 1e6,
        max / 1e6)).toString();
  }

  static TextToImageModel tinyModel() {
    org.draft4j.text.BpeTrainer.Vocabulary v = org.draft4j.text.BpeTrainer.learn(ShapesWorld.captions(0, 200), 50);
    return TextToImageModel.builder().id("tiny-soak").tokenizer(v.tokenizer(12))
        .textEncoder(org.draft4j.models.ClipTextModel.random(new org.draft4j.models.ClipTextConfig(v.vocab().size(), 8,
            16, 1, 2, 12, "quick_gelu", 1e-5), 1))
        .unet(UNet2DConditionModel.random(new UNet2DConditionConfig(8, 3, 3, new int[] {8, 16}, 1,
            List.of("CrossAttnDownBlock2D", "DownBlock2D"), List.of("UpBlock2D", "CrossAttnUpBlock2D"),
            new int[] {2, 2}, 8, 4, 1e-5, true, 0), 0))
        .decoder(org.draft4j.spi.ImageDecoder.pixelSpace()).build();
  }

  /**
   * Runs {@code r} for {@value #WARM_UP_SECONDS} s before a section's first timed case: on a 2-core
   * machine the JIT's compiler threads take cores from the engine's workers for the first seconds of
   * a process, which made the first row of a table slower than the rows after it.
   */
  static void warmUp(Runnable r) {
    long end = System.nanoTime() + (long) (WARM_UP_SECONDS * 1e9);
    do {
      r.run();
    } while (System.nanoTime() < end);
  }

  static final double WARM_UP_SECONDS = 10;

  static String throughput() {
    TextToImageModel model;
    try {
      model = ShapesWorldModel.pretrained();
    } catch (IllegalStateException e) {
      model = ShapesWorldArchitecture.random(0);
    }
    StringBuilder sb = new StringBuilder();
    double mm = BlasProbe.matmulGflops(1024);
    int workers = org.draft4j.engine.ExecutionContext.defaultOptions().threads();
    int ctxLen = model.tokenizer().maxLength();
    double flops = 2 * UNetFlops.macs(model.unet().config(), ctxLen);
    sb.append(String.format(Locale.ROOT, "### Throughput (ShapesWorld model: %,d UNet parameters, %.3f GFLOP per"
        + " sample per UNet forward by `UNetFlops`)%n%nMatrix multiply 1024³ float32 on this machine: **%.1f GFLOP/s**"
        + " (best of 3, OMP_NUM_THREADS=%s); the engine's %d workers each run one such thread, so the"
        + " forward's share is of %d × that rate. Each time below is the median of 5 calls (forward, VJP) or 3 (sampling, training steps)"
        + " after one warm-up call of the same shape.%n%n", model.unet().parameterCount(), flops / 1e9, mm,
        System.getenv("OMP_NUM_THREADS"), workers, workers));
    UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
    den.attach(Lora.rank(4).create(0));
    den.adaptedLayers();
    long[] sh = model.sampleShape();
    sb.append("| batch | UNet forward | forward GFLOP/s (% of workers × matmul) | UNet VJP (recompute + backward) | VJP GFLOP/s |"
        + " sampling, DDIM 10 + CFG | images/s |\n|---|---|---|---|---|---|---|\n");
    DdimSampler sampler = Ddim.steps(10).guidance(5.0);
    for (int b : new int[] {1, 4, 8}) {
      long[] seeds = new long[b];
      for (int i = 0; i < b; i++) {
        seeds[i] = i;
      }
      INDArray x = NoiseSource.batch(seeds, 0, sh[0], sh[1], sh[2]);
      List<String> prompts = ShapesWorld.captions(3, b);
      INDArray ctx = model.encode(prompts);
      INDArray t = Nd4j.valueArrayOf(new long[] {b}, 500f);
      if (b == 1) {
        warmUp(() -> den.vjp(x, t, ctx, x));
      }
      den.predict(x, t, ctx);
      den.vjp(x, t, ctx, x);
      double fwd = EngineBench.median(() -> den.predict(x, t, ctx), 5) / 1e3;
      double vjp = EngineBench.median(() -> den.vjp(x, t, ctx, x), 5) / 1e3;
      Conditioning cond = new Conditioning(ctx, model.encode(Collections.nCopies(b, "")));
      sampler.sample(den, cond, x, seeds, null);
      double samp = EngineBench.median(() -> sampler.sample(den, cond, x, seeds, null), 3) / 1e3;
      double gf = flops * b / fwd / 1e9;
      String row = String.format(Locale.ROOT, "| %d | %.3f s | %.2f (%.0f%%) | %.3f s | %.2f | %.2f s | %.2f |%n", b, fwd,
          gf, 100 * gf / (workers * mm), vjp, 2 * flops * b / vjp / 1e9, samp, b / samp);
      System.err.print(row);
      sb.append(row);
    }
    sb.append("\nVJP FLOPs are counted as 2 × forward (the recomputed forward plus the input-gradient pass; base"
        + " weights are constants, so no weight gradients are formed except the LoRA's).\n\n");
    sb.append("| objective (K = 1 where it applies) | batch | step time | images/s | peak RSS |\n|---|---|---|---|---|\n");
    RewardEvaluator ev = new RewardEvaluator(Rewards.compressibility(), model.decoder(), ExecutionContext.shared());
    Map<String, org.draft4j.objectives.Objective> objectives = new LinkedHashMap<>();
    objectives.put("draftK(1)", Objectives.draftK(1));
    objectives.put("draft() (all 10 steps)", Objectives.draft());
    objectives.put("draftLv(2)", Objectives.draftLv(2));
    objectives.put("draftPlus(1, 1.0)", Objectives.draftPlus(1, 1.0));
    objectives.put("refl(7, 9)", Objectives.refl(7, 9));
    objectives.put("alignProp(1, 10)", Objectives.alignProp(1, 10));
    boolean warmedUp = false;
    for (var e : objectives.entrySet()) {
      for (int b : new int[] {1, 4, 8}) {
        long[] seeds = new long[b];
        for (int i = 0; i < b; i++) {
          seeds[i] = 10 + i;
        }
        List<String> prompts = ShapesWorld.captions(3, b);
        Conditioning cond = new Conditioning(model.encode(prompts), model.encode(Collections.nCopies(b, "")));
        ObjectiveContext ctx = new ObjectiveContext(den, sampler, cond, ev, prompts,
            NoiseSource.batch(seeds, 0, sh[0], sh[1], sh[2]), seeds, new SplittableRandom(0));
        if (!warmedUp) {
          warmUp(() -> e.getValue().compute(ctx));
          warmedUp = true;
        }
        e.getValue().compute(ctx);
        resetPeak();
        double sec = EngineBench.median(() -> e.getValue().compute(ctx), 3) / 1e3;
        String row = String.format(Locale.ROOT, "| %s | %d | %.2f s | %.2f | %.2f GB |%n", e.getKey(), b, sec, b / sec,
            Memory.peakResidentBytes() / 1e9);
        System.err.print(row);
        sb.append(row);
      }
    }
    return sb.append('\n').toString();
  }

  static String chain(int batch) {
    TextToImageModel model;
    String which;
    try {
      model = ShapesWorldModel.pretrained();
      which = "shipped ShapesWorld model";
    } catch (IllegalStateException e) {
      model = ShapesWorldArchitecture.random(0);
      which = "ShapesWorld architecture, random weights";
    }
    StringBuilder sb = new StringBuilder();
    sb.append("### DRaFT-K training step vs K (").append(which).append(", 50 DDIM steps, guidance 7.5, batch ")
        .append(batch).append(", LoRA rank 4 on attention, compressibility reward; step time: median of 3 after a warm-up step)\n\n");
    sb.append("| K | step time | images/s | peak RSS (heap + native) | peak / peak at K=1 |\n|---|---|---|---|---|\n");
    UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
    den.attach(Lora.rank(4).create(0));
    den.adaptedLayers();
    DdimSampler sampler = Ddim.steps(50).guidance(7.5);
    RewardEvaluator ev = new RewardEvaluator(Rewards.compressibility(), model.decoder(), ExecutionContext.shared());
    List<String> prompts = Collections.nCopies(batch, "a small red star on a blue background");
    Conditioning cond = new Conditioning(model.encode(prompts), model.encode(Collections.nCopies(batch, "")));
    long[] sh = model.sampleShape();
    long[] seeds = new long[batch];
    for (int i = 0; i < batch; i++) {
      seeds[i] = 1 + i;
    }
    long base = -1;
    List<String> rows = new ArrayList<>();
    for (int k : new int[] {1, 5, 20, 50}) {
      ObjectiveContext ctx = new ObjectiveContext(den, sampler, cond, ev, prompts,
          NoiseSource.batch(seeds, 0, sh[0], sh[1], sh[2]), seeds, new SplittableRandom(0));
      if (base < 0) {
        warmUp(() -> Objectives.draftK(1).compute(ctx));
      }
      Objectives.draftK(k).compute(ctx); // warm-up (graph compilation)
      resetPeak();
      double sec = EngineBench.median(() -> Objectives.draftK(k).compute(ctx), 3) / 1e3;
      long peak = Memory.peakResidentBytes();
      if (base < 0) {
        base = peak;
      }
      rows.add(String.format(Locale.ROOT, "| %d | %.1f s | %.3f | %.2f GB | %.2f× |%n", k, sec, batch / sec,
          peak / 1e9, (double) peak / base));
      System.err.print(rows.get(rows.size() - 1));
    }
    rows.forEach(sb::append);
    return sb.append('\n').toString();
  }
}
