package org.draft4j.examples.bench;

import org.draft4j.engine.ExecutionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.lora.Lora;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.NoiseSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code bench --only blas}: which OpenBLAS kernels ND4J's matrix multiplies run on. ND4J M2.1 ships
 * OpenBLAS 0.3.19, which does not know CPUs newer than it (Sapphire/Emerald Rapids, Zen 4) and runs
 * its generic Prescott (SSE3) kernels there unless {@code OPENBLAS_CORETYPE} names a core. The same
 * measurements (a 1024³ matmul, the ShapesWorld UNet's forward and VJP at batch 1 and 8) run in two
 * fresh JVMs, with OpenBLAS's own detection ({@code OPENBLAS_CORETYPE} removed) and with
 * {@code SkylakeX} (AVX-512, what the {@code draft4j} script names on such a CPU) when the CPU has
 * AVX-512F, so the ratio comes from one run.
 */
final class BlasProbe {
  private static final String RESULT = "BLAS_RESULT ";

  private BlasProbe() {}

  /** Whether this CPU reports AVX-512F (Linux {@code /proc/cpuinfo}). */
  static boolean hasAvx512() {
    try {
      return Files.readString(Path.of("/proc/cpuinfo")).contains(" avx512f");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The bench section. */
  static String bench() throws IOException, InterruptedException {
    int threads = org.draft4j.engine.ExecutionContext.defaultOptions().threads();
    List<String> jvm = List.of("-Xmx4g", "-XX:+UseSerialGC",
        "-D" + org.draft4j.engine.ExecutionOptions.THREADS_PROPERTY + "=" + threads);
    StringBuilder sb = new StringBuilder("### OpenBLAS kernels under ND4J's matrix multiplies (ShapesWorld UNet, "
        + threads + " engine thread" + (threads == 1 ? "" : "s") + "; one fresh JVM per column)\n\n");
    Map<String, String> detected = new java.util.HashMap<>();
    detected.put("OPENBLAS_CORETYPE", null);
    Map<String, Object> base = ChildJvm.run(BlasProbe.class, jvm, detected,
        List.of(), RESULT);
    if (!hasAvx512()) {
      return sb.append("This CPU has no AVX-512F: the SkylakeX kernels cannot run here; nothing to compare.\n\n")
          .toString();
    }
    Map<String, Object> sky = ChildJvm.run(BlasProbe.class, jvm, Map.of("OPENBLAS_CORETYPE", "SkylakeX"),
        List.of(), RESULT);
    sb.append("| measure | OPENBLAS_CORETYPE unset (OpenBLAS detects the core) | = SkylakeX | ratio |\n"
        + "|---|---|---|---|\n");
    for (String k : base.keySet()) {
      double a = ((Number) base.get(k)).doubleValue();
      double b = ((Number) sky.get(k)).doubleValue();
      sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f× |%n", k, a, b, k.startsWith("matmul") ? b / a
          : a / b));
    }
    return sb.append("\nRatio: SkylakeX's speed-up (GFLOP/s ratio for the matmul, time ratio for the rest).\n\n")
        .toString();
  }

  /** Best-of-3 GFLOP/s of an n×n×n float32 matrix product. */
  static double matmulGflops(int n) {
    INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
    a.mmul(b);
    double best = Double.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      a.mmul(b);
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return 2.0 * n * n * n / best / 1e9;
  }

  /** Child: prints the measurements as one JSON line. */
  public static void main(String[] args) {
    // a child JVM is an entry point: its engine settings come from the -Ddraft4j.* flags it was started with
    org.draft4j.engine.ExecutionContext.setDefaultOptions(
        org.draft4j.engine.ExecutionOptions.fromProperties(System.getProperties()));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("matmul 1024³ GFLOP/s", matmulGflops(1024));
    TextToImageModel model = ShapesWorldModel.pretrained();
    UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
    den.attach(Lora.rank(4).create(0));
    den.adaptedLayers();
    long[] sh = model.sampleShape();
    for (int b : new int[] {1, 8}) {
      long[] seeds = new long[b];
      for (int i = 0; i < b; i++) {
        seeds[i] = i;
      }
      INDArray x = NoiseSource.batch(seeds, 0, sh[0], sh[1], sh[2]);
      INDArray ctx = model.encode(ShapesWorld.captions(3, b));
      INDArray t = Nd4j.valueArrayOf(new long[] {b}, 500f);
      for (int i = 0; i < 3; i++) {
        den.predict(x, t, ctx);
        den.vjp(x, t, ctx, x);
      }
      r.put("UNet forward b=" + b + " (ms)", EngineBench.median(() -> den.predict(x, t, ctx), 7));
      r.put("UNet VJP b=" + b + " (ms)", EngineBench.median(() -> den.vjp(x, t, ctx, x), 7));
    }
    System.out.println(RESULT + Json.write(r));
    System.exit(0);
  }
}
