package org.draft4j.examples.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionMode;
import org.draft4j.engine.ExecutionOptions;
import org.draft4j.io.Json;
import org.draft4j.lora.Lora;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.train.Memory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The execution engine's benchmarks ({@code bench --only engine} and {@code bench --only sd15}).
 *
 * <p>{@code engine}: the ShapesWorld UNet (shipped weights, without adapters as in the engine issue
 * and PyTorch's reference, then with a rank-4 LoRA on attention) run by the engine and by SameDiff's
 * own executor (the path draft4j used before the engine) in the same process, back to back: fixed
 * cost per op at 8×8 input, forward and VJP at batch 1/4/8 (median of several calls after warm-up),
 * DDIM 25 steps with guidance 7.5, and the engine with 1 vs 2 worker threads for VJP and sampling at
 * batch 8.
 *
 * <p>{@code sd15}: an SD 1.5 UNet (diffusers defaults, random weights) at 64×64 latents, each case
 * in a fresh JVM so that its peak resident memory (VmHWM) is its own: random init, forward and VJP at
 * batch 1 and 2 (first call, which plans, and second call).
 */
final class EngineBench {
  private static final String RESULT = "BENCH-RESULT ";
  private static final double[] PYTORCH_FWD = {22, 70, 152};
  private static final double[] PYTORCH_VJP = {37, 130, 221};
  private static final double[] PYTORCH_DDIM = {873, 3373, 7582};

  private EngineBench() {}

  /** The ShapesWorld section. */
  static String shapesWorld() {
    TextToImageModel model = ShapesWorldModel.pretrained();
    StringBuilder md = new StringBuilder();
    ExecutionContext engine = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(1));
    ExecutionContext legacy = ExecutionContext.create(ExecutionContext.defaultOptions().withMode(ExecutionMode.SAMEDIFF));
    ExecutionContext engine2 = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(2));
    ExecutionContext primitives = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(1)
        .withFusedOps(false));
    try {
      md.append(fixedCost(model, engine, primitives, legacy));
      md.append(speed(model, engine, legacy, false));
      md.append(speed(model, engine, legacy, true));
      md.append(threads(model, engine, engine2));
    } finally {
      engine.close();
      legacy.close();
      engine2.close();
      primitives.close();
    }
    return md.toString();
  }

  /**
   * A denoiser for {@code m} at {@code size}² in {@code ctx}; with {@code lora}, a rank-4 LoRA on
   * attention (DRaFT's setting). Its graph uses fused kernels when {@code ctx.fusedOps()}.
   */
  private static UNetDenoiser denoiser(TextToImageModel m, ExecutionContext ctx, int size, boolean lora) {
    UNetDenoiser d = new UNetDenoiser(m.unet(), size, size, m.tokenizer().maxLength(), ctx);
    if (lora) {
      d.attach(Lora.rank(4).create(0));
    }
    d.graph();
    return d;
  }

  private static String fixedCost(TextToImageModel m, ExecutionContext engine, ExecutionContext primitives,
      ExecutionContext legacy) {
    StringBuilder sb = new StringBuilder("### Fixed cost per op (ShapesWorld UNet without adapters, 8×8 input,"
        + " batch 1, where arithmetic is small; median of 21 calls after 200 warm-up calls for the engine, 10 for"
        + " SameDiff)\n\n| executor | graph | forward | per SameDiff op"
        + " | kernels run | per kernel | VJP | per SameDiff op | kernels run | per kernel |\n"
        + "|---|---|---|---|---|---|---|---|---|---|\n");
    int forwardOps = 0;
    int vjpOps = 0;
    ExecutionContext[] rows = {legacy, primitives, engine};
    for (ExecutionContext ctx : rows) {
      boolean unfused = !ctx.fusedOps();
      UNetDenoiser d = denoiser(m, ctx, 8, false);
      INDArray x = NoiseSource.batch(new long[] {1}, 0, 3, 8, 8);
      INDArray u = NoiseSource.batch(new long[] {2}, 0, 3, 8, 8);
      INDArray c = m.encode(List.of("a red circle on a blue background"));
      INDArray t = Nd4j.valueArrayOf(new long[] {1}, 500f);
      // warm-up: the engine's Java kernels reach the JIT's optimizing compiler after some thousand calls
      int warm = ctx.options().mode() == ExecutionMode.ENGINE ? 200 : 10;
      for (int i = 0; i < warm; i++) {
        d.predict(x, t, c);
        d.vjp(x, t, c, u);
      }
      double f = median(() -> d.predict(x, t, c), 21);
      double v = median(() -> d.vjp(x, t, c, u), 21);
      if (forwardOps == 0) {
        forwardOps = d.graph().getOps().size();
        vjpOps = d.graph().getFunction("grad").getOps().size();
      }
      String fk = "-";
      String fkPer = "-";
      String vk = "-";
      String vkPer = "-";
      if (ctx.options().mode() == ExecutionMode.ENGINE) {
        int a = d.forwardRunner().compiled().stats().kernels();
        int b = d.vjpRunner().compiled().stats().kernels();
        fk = String.valueOf(a);
        fkPer = String.format(Locale.ROOT, "%.1f µs", f * 1000 / a);
        vk = String.valueOf(b);
        vkPer = String.format(Locale.ROOT, "%.1f µs", v * 1000 / b);
      }
      String graph = unfused ? "SameDiff ops (" + d.graph().getOps().size() + " / "
          + d.graph().getFunction("grad").getOps().size() + ")" : "fused (" + d.graph().getOps().size() + " / "
          + d.graph().getFunction("grad").getOps().size() + ")";
      String row = String.format(Locale.ROOT, "| %s | %s | %.1f ms | %.1f µs | %s | %s | %.1f ms | %.1f µs | %s | %s |%n",
          name(ctx), graph, f, f * 1000 / forwardOps, fk, fkPer, v, v * 1000 / vjpOps, vk, vkPer);
      System.err.print(row);
      sb.append(row);
      d.close();
    }
    return sb.append(String.format(Locale.ROOT, "%nPer SameDiff op = time per call / the op count of the graph built"
        + " from SameDiff's primitive ops (%d forward, %d in the gradient function), the measurement of the engine"
        + " issue. The graph column gives each row's own op counts (forward / gradient function). The engine runs"
        + " fewer kernels than there are graph ops: views replace reshapes and permutes, shape ops are evaluated"
        + " once when planning, fused ops replace normalization chains, and backward ops whose gradients nobody"
        + " reads are dropped.%n%n", forwardOps, vjpOps)).toString();
  }

  private static String name(ExecutionContext ctx) {
    return ctx.options().mode() == ExecutionMode.ENGINE ? "engine, " + ctx.threads() + " thread"
        + (ctx.threads() > 1 ? "s" : "") : "SameDiff (before the engine)";
  }

  private static String speed(TextToImageModel m, ExecutionContext engine, ExecutionContext legacy, boolean lora) {
    StringBuilder sb = new StringBuilder("### ShapesWorld UNet" + (lora ? " with a rank-4 LoRA on attention (the"
        + " DRaFT setting)" : " without adapters (the engine issue's and PyTorch's setting)")
        + ": engine vs SameDiff's executor, same process (median ms)\n\n| case | batch | SameDiff | engine | speed-up |"
        + (lora ? "" : " PyTorch 1.13 (shared notes: another machine, AVX-512) | engine / PyTorch |") + "\n|---|---|---|---|---|"
        + (lora ? "" : "---|---|") + "\n");
    int size = (int) m.sampleShape()[1];
    UNetDenoiser de = denoiser(m, engine, size, lora);
    UNetDenoiser dl = denoiser(m, legacy, size, lora);
    DdimSampler ddim = Ddim.steps(25).guidance(7.5);
    int[] batches = {1, 4, 8};
    List<String> rows = new ArrayList<>();
    for (int bi = 0; bi < batches.length; bi++) {
      int b = batches[bi];
      Case c = new Case(m, b);
      double[] f = new double[2];
      double[] v = new double[2];
      double[] s = new double[2];
      UNetDenoiser[] ds = {dl, de};
      for (int k = 0; k < 2; k++) {
        UNetDenoiser d = ds[k];
        for (int i = 0; i < (k == 0 ? 3 : 30 / b); i++) {
          d.predict(c.x, c.t, c.ctx);
          d.vjp(c.x, c.t, c.ctx, c.u);
        }
        int reps = k == 0 ? 5 : 9;
        f[k] = median(() -> d.predict(c.x, c.t, c.ctx), reps);
        v[k] = median(() -> d.vjp(c.x, c.t, c.ctx, c.u), reps);
        if (!lora) {
          ddim.sample(d, c.cond, c.x, c.seeds, null);
          s[k] = median(() -> ddim.sample(d, c.cond, c.x, c.seeds, null), k == 0 ? 1 : 3);
        }
      }
      rows.add(row("forward", b, f, lora ? -1 : PYTORCH_FWD[bi]));
      rows.add(row("VJP", b, v, lora ? -1 : PYTORCH_VJP[bi]));
      if (!lora) {
        rows.add(row("DDIM 25 steps + CFG 7.5", b, s, PYTORCH_DDIM[bi]));
      }
      rows.subList(rows.size() - (lora ? 2 : 3), rows.size()).forEach(System.err::print);
    }
    de.close();
    dl.close();
    rows.sort((p, q) -> Integer.compare(order(p), order(q)));
    rows.forEach(sb::append);
    return sb.append('\n').toString();
  }

  private static int order(String row) {
    return row.startsWith("| forward") ? 0 : row.startsWith("| VJP") ? 1 : 2;
  }

  private static String row(String what, int b, double[] ms, double pytorch) {
    String base = String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.2f× |", what, b, ms[0], ms[1], ms[0] / ms[1]);
    return pytorch < 0 ? base + "\n" : base + String.format(Locale.ROOT, " %.0f | %.2f |%n", pytorch, ms[1] / pytorch);
  }

  private static String threads(TextToImageModel m, ExecutionContext one, ExecutionContext two) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "### Engine with 1 and 2 worker threads"
        + " (ShapesWorld UNet without adapters, OMP_NUM_THREADS=%s; batch 8 is split into one shard per worker; a"
        + " batch of 1 runs on the calling thread, single-threaded: the model's 7 MB of weights are below the"
        + " 64 MiB from which batch-1 calls get native threads; CFG doubles DDIM's batch; median ms)%n%n"
        + "| case | 1 thread | 2 threads | speed-up |%n|---|---|---|---|%n", System.getenv("OMP_NUM_THREADS")));
    int size = (int) m.sampleShape()[1];
    DdimSampler ddim = Ddim.steps(25).guidance(7.5);
    ExecutionContext[] ctxs = {one, two};
    for (int batch : new int[] {1, 8}) {
      Case c = new Case(m, batch);
      double[][] r = new double[2][3];
      for (int k = 0; k < 2; k++) {
        UNetDenoiser d = denoiser(m, ctxs[k], size, false);
        for (int i = 0; i < 5; i++) {
          d.predict(c.x, c.t, c.ctx);
          d.vjp(c.x, c.t, c.ctx, c.u);
        }
        r[k][0] = median(() -> d.predict(c.x, c.t, c.ctx), 9);
        r[k][1] = median(() -> d.vjp(c.x, c.t, c.ctx, c.u), 9);
        ddim.sample(d, c.cond, c.x, c.seeds, null);
        r[k][2] = median(() -> ddim.sample(d, c.cond, c.x, c.seeds, null), 3);
        d.close();
      }
      String[] names = {"forward", "VJP", "DDIM 25 steps + CFG 7.5"};
      for (int i = 0; i < 3; i++) {
        String row = String.format(Locale.ROOT, "| %s, batch %d | %.1f | %.1f | %.2f× |%n", names[i], batch, r[0][i],
            r[1][i], r[0][i] / r[1][i]);
        System.err.print(row);
        sb.append(row);
      }
    }
    return sb.append('\n').toString();
  }

  /** The 1-versus-2-worker table alone ({@code bench --only threads}). */
  static String threadsOnly() {
    TextToImageModel model = ShapesWorldModel.pretrained();
    try (ExecutionContext one = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(1));
        ExecutionContext two = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(2))) {
      return threads(model, one, two);
    }
  }

  /** Inputs of one batch size. */
  private static final class Case {
    final long[] seeds;
    final INDArray x;
    final INDArray u;
    final INDArray t;
    final INDArray ctx;
    final Conditioning cond;

    Case(TextToImageModel m, int b) {
      long[] sh = m.sampleShape();
      seeds = new long[b];
      for (int i = 0; i < b; i++) {
        seeds[i] = i;
      }
      x = NoiseSource.batch(seeds, 0, sh[0], sh[1], sh[2]);
      u = NoiseSource.batch(seeds, 7, sh[0], sh[1], sh[2]);
      t = Nd4j.valueArrayOf(new long[] {b}, 500f);
      List<String> prompts = ShapesWorld.captions(3, b);
      ctx = m.encode(prompts);
      cond = new Conditioning(ctx, m.encode(Collections.nCopies(b, "")));
    }
  }

  /** Median wall time of {@code reps} runs, in milliseconds. */
  static double median(Runnable r, int reps) {
    double[] t = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      r.run();
      t[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(t);
    return t[reps / 2];
  }

  /** The SD 1.5 section: one child JVM per case. */
  static String sd15() throws IOException, InterruptedException {
    StringBuilder sb = new StringBuilder("### SD 1.5 UNet (diffusers default config, 859.5 M parameters, random"
        + " weights), 64×64 latents, 77 context tokens, engine with 1 worker thread; one fresh JVM per row (peak RSS ="
        + " that JVM's VmHWM)\n\n"
        + "| case | batch | first call (plans) | second call | peak RSS | arena | plan |\n|---|---|---|---|---|---|---|\n");
    String[][] cases = {{"init", "1"}, {"forward", "1"}, {"forward", "2"}, {"vjp", "1"}, {"vjp", "2"}};
    for (String[] c : cases) {
      Map<String, Object> r = child(c[0], Integer.parseInt(c[1]));
      String row;
      if (c[0].equals("init")) {
        row = String.format(Locale.ROOT, "| random init | - | %.1f s | - | %.2f GB | - | - |%n", num(r, "init_s"),
            num(r, "peak_rss") / 1e9);
      } else {
        row = String.format(Locale.ROOT, "| %s | %s | %.1f s | %.1f s | %.2f GB | %.0f MB | %s |%n", c[0], c[1],
            num(r, "first_s"), num(r, "second_s"), num(r, "peak_rss") / 1e9, num(r, "arena") / 1e6, r.get("plan"));
      }
      System.err.print(row);
      sb.append(row);
    }
    return sb.append("\nWeights are 3.44 GB. VJP = gradient with respect to the input sample (weights frozen, as"
        + " PyTorch's reference); the engine checkpoints per block when a plan without checkpointing would need"
        + " more than the activation budget (" + ExecutionContext.defaultOptions().activationBudgetBytes() / (1 << 20)
        + " MiB, the default), and slices attention over queries at the 64×64 level.\n\n").toString();
  }

  /**
   * The SD 1.5 UNet at batch 1 (64×64 latents) with 1 and 2 engine workers: a batch of one cannot be
   * sharded, so the second worker helps only through native threads inside each op (see
   * {@code CompiledGraph}: batch-1 calls of graphs with ≥ 64 MiB of weights).
   */
  static String sd15Threads() throws IOException, InterruptedException {
    StringBuilder sb = new StringBuilder("### SD 1.5 UNet at batch 1 with 1 and 2 engine workers (diffusers default"
        + " config, random weights, 64×64 latents, 77 context tokens; one fresh JVM per cell, second call)\n\n"
        + "| case | 1 worker | 2 workers | speed-up |\n|---|---|---|---|\n");
    for (String kind : new String[] {"forward", "vjp"}) {
      double[] s = new double[2];
      for (int n = 1; n <= 2; n++) {
        Map<String, Object> r = ChildJvm.run(EngineBench.class, List.of("-Xmx8g", "-Ddraft4j.threads=" + n),
            List.of(kind, "1"), RESULT);
        s[n - 1] = num(r, "second_s");
      }
      String row = String.format(Locale.ROOT, "| %s | %.2f s | %.2f s | %.2f× |%n", kind, s[0], s[1], s[0] / s[1]);
      System.err.print(row);
      sb.append(row);
    }
    return sb.append('\n').toString();
  }

  private static double num(Map<String, Object> r, String k) {
    return ((Number) r.get(k)).doubleValue();
  }

  private static Map<String, Object> child(String kind, int batch) throws IOException, InterruptedException {
    return ChildJvm.run(EngineBench.class, List.of("-Xmx8g"), List.of(kind, String.valueOf(batch)), RESULT);
  }

  /** Child entry point: {@code <init|forward|vjp> <batch>}; prints one result line. */
  public static void main(String[] args) {
    // a child JVM is an entry point: its engine settings come from the -Ddraft4j.* flags it was started with
    org.draft4j.engine.ExecutionContext.setDefaultOptions(
        org.draft4j.engine.ExecutionOptions.fromProperties(System.getProperties()));
    String kind = args[0];
    int b = Integer.parseInt(args[1]);
    UNet2DConditionConfig c = UNet2DConditionConfig.fromJson(Map.of(), "SD 1.5 defaults");
    long t0 = System.nanoTime();
    UNet2DConditionModel u = UNet2DConditionModel.random(c, 0);
    double init = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("init_s", init);
    if (!kind.equals("init")) {
      try (UNetDenoiser d = new UNetDenoiser(u, 64, 64, 77, ExecutionContext.shared())) {
        Nd4j.getRandom().setSeed(0);
        INDArray x = Nd4j.randn(DataType.FLOAT, b, 4, 64, 64);
        INDArray ctx = Nd4j.randn(DataType.FLOAT, b, 77, 768);
        INDArray t = Nd4j.valueArrayOf(new long[] {b}, 500f);
        double[] s = new double[2];
        for (int i = 0; i < 2; i++) {
          long t1 = System.nanoTime();
          if (kind.equals("vjp")) {
            d.vjp(x, t, ctx, x);
          } else {
            d.predict(x, t, ctx);
          }
          s[i] = (System.nanoTime() - t1) / 1e9;
        }
        var stats = (kind.equals("vjp") ? d.vjpRunner() : d.forwardRunner()).compiled().stats();
        r.put("first_s", s[0]);
        r.put("second_s", s[1]);
        r.put("arena", stats.arenaBytes());
        r.put("plan", stats.kernels() + " kernels" + (stats.checkpointed() ? ", checkpointed" : ""));
      }
    }
    r.put("peak_rss", Memory.peakResidentBytes());
    System.out.println(RESULT + Json.write(r));
  }
}
