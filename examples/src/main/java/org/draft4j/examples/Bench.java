package org.draft4j.examples;

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
import org.draft4j.lora.Lora;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.nn.NativeMemory;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.Objectives;
import org.draft4j.rewards.Rewards;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.train.Memory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Benchmarks, appended to {@code docs/benchmarks.md} with machine information and the command:
 * {@code sd15-unet} (parameter count, init, save/load and one 64×64 forward of an SD 1.5-sized UNet
 * with random weights) and {@code chain} (one DRaFT-K training step on the ShapesWorld model at
 * K = 1, 5, 20, 50 with 50 DDIM steps: wall time and peak resident memory, heap + native).
 *
 * <p>Flags: {@code --only sd15-unet|chain}, {@code --out FILE} (default docs/benchmarks.md).
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> f = Flags.parse(args, "only", "out");
    Path out = Path.of(f.getOrDefault("out", "docs/benchmarks.md"));
    String only = f.getOrDefault("only", "all");
    StringBuilder md = new StringBuilder();
    md.append("\n## Run of ").append(Instant.now()).append("\n\n");
    md.append("Command: `mvn -B -q -pl examples exec:exec -Dlauncher.args=\"bench").append(args.length > 0 ? " " : "")
        .append(String.join(" ", args)).append("\"` (from the repository root; out paths relative to examples/)\n\n");
    md.append(machine()).append('\n');
    if (only.equals("all") || only.equals("sd15-unet")) {
      md.append(sd15Unet());
    }
    if (only.equals("all") || only.equals("chain")) {
      md.append(chain());
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    if (!Files.exists(out)) {
      Files.writeString(out, "# draft4j benchmarks\n\nEach section is one run of the launcher's `bench` command;"
          + " newest last. Times are wall-clock on the machine described in the section.\n");
    }
    Files.writeString(out, md.toString(), StandardOpenOption.APPEND);
    System.out.println(md);
  }

  static String machine() {
    String cpu = "unknown";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
    } catch (IOException ignored) {
      // not Linux
    }
    return String.format(Locale.ROOT, "Machine: %s, %d cores, JVM %s, max heap %d MB, OMP_NUM_THREADS=%s, ND4J %s%n",
        cpu, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20, System.getenv("OMP_NUM_THREADS"),
        Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "?") + " "
            + Nd4j.getBackend().getClass().getSimpleName());
  }

  /** Resets the kernel's peak-RSS counter (VmHWM) so the next case's peak is its own. */
  static void resetPeak() {
    NativeMemory.collect();
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
    NativeMemory.collect();
    t0 = System.nanoTime();
    UNet2DConditionModel loaded = UNet2DConditionModel.load(dir);
    double load = (System.nanoTime() - t0) / 1e9;
    UNetDenoiser d = new UNetDenoiser(loaded, 64, 64, 77);
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

  static String chain() {
    TextToImageModel model;
    String which;
    try {
      model = ShapesWorldModel.pretrained();
      which = "shipped ShapesWorld model";
    } catch (IllegalStateException e) {
      model = DemoModel.random(0);
      which = "ShapesWorld architecture, random weights";
    }
    StringBuilder sb = new StringBuilder();
    sb.append("### DRaFT-K training step vs K (").append(which).append(", 50 DDIM steps, guidance 7.5, batch 1,"
        + " LoRA rank 4 on attention, compressibility reward)\n\n");
    sb.append("| K | step time | peak RSS (heap + native) | peak / peak at K=1 |\n|---|---|---|---|\n");
    UNetDenoiser den = model.newDenoiser();
    den.attach(Lora.rank(4).create(0));
    den.adaptedLayers();
    DdimSampler sampler = Ddim.steps(50).guidance(7.5);
    RewardEvaluator ev = new RewardEvaluator(Rewards.compressibility(), model.decoder());
    List<String> prompts = List.of("a small red star on a blue background");
    Conditioning cond = new Conditioning(model.encode(prompts), model.encode(Collections.nCopies(1, "")));
    long[] sh = model.sampleShape();
    long base = -1;
    List<String> rows = new ArrayList<>();
    for (int k : new int[] {1, 5, 20, 50}) {
      Map<String, INDArray> g = new LinkedHashMap<>();
      den.trainableParameters().forEach((n, v) -> g.put(n, Nd4j.zerosLike(v)));
      ObjectiveContext ctx = new ObjectiveContext(den, sampler, cond, ev, prompts,
          NoiseSource.batch(new long[] {1}, 0, sh[0], sh[1], sh[2]), new long[] {1}, new SplittableRandom(0), g);
      Objectives.draftK(k).compute(ctx); // warm-up (graph compilation)
      resetPeak();
      long t0 = System.nanoTime();
      Objectives.draftK(k).compute(ctx);
      double sec = (System.nanoTime() - t0) / 1e9;
      long peak = Memory.peakResidentBytes();
      if (base < 0) {
        base = peak;
      }
      rows.add(String.format(Locale.ROOT, "| %d | %.1f s | %.2f GB | %.2f× |%n", k, sec, peak / 1e9, (double) peak / base));
      System.err.print(rows.get(rows.size() - 1));
    }
    rows.forEach(sb::append);
    return sb.append('\n').toString();
  }
}
