package org.draft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.draft4j.io.SafetensorsDType;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.AutoencoderKL;
import org.draft4j.models.AutoencoderKLConfig;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.ClipTextModel;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.WeightsFormat;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.optim.OptimizerState;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.draft4j.train.DraftTrainer;
import org.draft4j.train.MicroBatchResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * fp32 LoRA over a narrow base. A model folder stored in bf16 is widened to float32 when it loads
 * ({@code WeightFiles}): the frozen weights hold bf16 values in FLOAT arrays (the engine's graphs
 * are float32 throughout; a base held as BFLOAT16 arrays fails at its first matmul, "mmulMxM expects
 * all data types to be the same"). The LoRA over it, its gradients and the AdamW moments are FLOAT,
 * so its updates are float32's, not a bf16 master's: the second test shows, at lora_A's magnitudes,
 * the AdamW steps a bf16 master rounds away and float32 keeps.
 */
class NarrowBaseTest {
  @TempDir Path dir;

  private static TextToImageModel tinyModel() {
    org.draft4j.text.BpeTrainer.Vocabulary v = org.draft4j.text.BpeTrainer.learn(List.of("a cat", "a dog"), 8);
    UNet2DConditionConfig uc = new UNet2DConditionConfig(8, 4, 4, new int[] {8, 16}, 1,
        List.of("CrossAttnDownBlock2D", "DownBlock2D"), List.of("UpBlock2D", "CrossAttnUpBlock2D"), new int[] {2, 2},
        8, 4, 1e-5, true, 0);
    return TextToImageModel.builder().id("narrow").tokenizer(v.tokenizer(8))
        .textEncoder(ClipTextModel.random(new ClipTextConfig(v.vocab().size(), 8, 16, 1, 2, 8, "quick_gelu", 1e-5), 2))
        .unet(UNet2DConditionModel.random(uc, 1))
        .vae(AutoencoderKL.random(new AutoencoderKLConfig(3, 3, new int[] {8, 16}, 1, 4, 4, 16, 0.18215), 3)).build();
  }

  private static void saveBf16(TextToImageModel m, Path to) throws Exception {
    org.draft4j.text.BpeTrainer.Vocabulary v = org.draft4j.text.BpeTrainer.learn(List.of("a cat", "a dog"), 8);
    m.save(to, v.vocabJson(), v.mergesTxt(), Map.of("_class_name", "DDIMScheduler"), WeightsFormat.bf16());
  }

  /** Whether {@code f} is a bf16 value (its low 16 bits are zero). */
  private static boolean isBf16(float f) {
    return (Float.floatToRawIntBits(f) & 0xFFFF) == 0;
  }

  /** Round to nearest even bf16, as PyTorch's {@code .to(torch.bfloat16)} does, returned widened. */
  static float bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000;
    return Float.intBitsToFloat(rounded);
  }

  @Test
  void overABf16FolderTheBaseIsWidenedAndTheLoraItsGradientsAndAdamWStateAreFloat() throws Exception {
    TextToImageModel original = tinyModel();
    Path folder = dir.resolve("bf16");
    saveBf16(original, folder);
    TextToImageModel m = TextToImageModel.load(ModelFolder.of(folder), "narrow", "bf16");
    Map<String, float[]> frozen = new LinkedHashMap<>();
    int rounded = 0;
    for (var e : m.unet().parameters().asMap().entrySet()) {
      assertEquals(DataType.FLOAT, e.getValue().dataType(), e.getKey() + " is held widened to FLOAT");
      float[] got = e.getValue().dup().data().asFloat();
      float[] was = original.unet().parameters().get(e.getKey()).dup().data().asFloat();
      for (int i = 0; i < got.length; i++) {
        assertTrue(isBf16(got[i]), e.getKey() + "[" + i + "] = " + got[i] + " holds a bf16 value");
        assertEquals(was[i], got[i], Math.abs(was[i]) * 0x1p-8f, e.getKey() + "[" + i + "] within bf16 rounding");
        rounded += got[i] != was[i] ? 1 : 0;
      }
      frozen.put(e.getKey(), got);
    }
    assertTrue(rounded > 100, "the folder's weights were narrowed (" + rounded + " values rounded)");
    Path ck = dir.resolve("ck");
    try (DraftTrainer t = DraftTrainer.builder().model(m).sampler(ToySampler.steps(2, 2.0))
        .reward(ToyRewards.contrast()).adapter(Lora.rank(2)).objective(Objectives.draftK(1))
        .optimizer(AdamW.lr(1e-4)).prompts(List.of("a cat", "a dog")).batch(1, 1).checkpoints(ck, 1).build()) {
      Map<String, INDArray> lora = t.adapter().trainableParameters();
      assertTrue(lora.keySet().stream().anyMatch(k -> k.contains("lora_A") || k.contains("down")), lora.keySet()
          .toString());
      lora.forEach((k, v) -> assertEquals(DataType.FLOAT, v.dataType(), k + " (adapter)"));
      MicroBatchResult r = t.microBatch(0, 0);
      assertEquals(lora.keySet(), r.gradients().keySet());
      r.gradients().forEach((k, g) -> assertEquals(DataType.FLOAT, g.dataType(), k + " (gradient)"));
      assertTrue(r.gradients().values().stream().anyMatch(g -> g.amaxNumber().doubleValue() > 0), "a gradient");
      r.releaseGradients();
      t.fit(2);
      t.adapter().trainableParameters().forEach((k, v) -> assertEquals(DataType.FLOAT, v.dataType(), k));
    }
    // the optimizer state as the checkpoint holds it: float32 moments of every LoRA matrix
    try (SafetensorsFile f = SafetensorsFile.openVerified(ck.resolve("checkpoint.safetensors"))) {
      long moments = f.keys().stream().filter(k -> k.startsWith("opt/")).peek(k -> assertEquals(SafetensorsDType.F32,
          f.dtype(k), k)).count();
      assertEquals(2 * f.keys().stream().filter(k -> k.startsWith("param/")).count(), moments);
      f.keys().stream().filter(k -> k.startsWith("param/")).forEach(k -> assertEquals(SafetensorsDType.F32,
          f.dtype(k), k));
    }
    // the frozen base did not move
    for (var e : m.unet().parameters().asMap().entrySet()) {
      float[] now = e.getValue().dup().data().asFloat();
      for (int i = 0; i < now.length; i++) {
        assertEquals(frozen.get(e.getKey())[i], now[i], 0f, e.getKey());
      }
    }
  }

  /** One element's displacement after {@code steps} AdamW steps, three ways. */
  private record Run(double reference, float float32, float bf16Master, int bf16Lost) {}

  /**
   * AdamW (lr 1e-4, β (0.9, 0.999), ε 1e-8, weight decay {@code wd}) on {@code n} elements of
   * magnitude {@code magnitude} for {@code steps} steps with gradients {@code 1e-3·(bias + noise·z)},
   * z standard normal: the library's AdamW on FLOAT arrays, the same update in double, and a
   * bf16 master (the update computed from float moments, the parameter rounded to bf16 after each
   * step, as training with bf16 parameters does). Returns the mean over elements of |displacement|
   * and the fraction of (element, step) updates the bf16 master lost.
   */
  private static double[] adam(double magnitude, double bias, double noise, double wd, int steps, int n) {
    SplittableRandom rnd = new SplittableRandom(7);
    float[] p0 = new float[n];
    for (int i = 0; i < n; i++) {
      p0[i] = bf16((float) (magnitude * (0.5 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1)));
    }
    float[][] g = new float[steps][n];
    for (int s = 0; s < steps; s++) {
      for (int i = 0; i < n; i++) {
        g[s][i] = (float) (1e-3 * (bias + noise * gaussian(rnd)));
      }
    }
    AdamW opt = AdamW.lr(1e-4).weightDecay(wd);
    Map<String, INDArray> p = new LinkedHashMap<>();
    p.put("lora_A", Nd4j.createFromArray(p0.clone()));
    OptimizerState st = opt.init(p);
    double[] ref = new double[n];
    double[] m = new double[n];
    double[] v = new double[n];
    float[] master = p0.clone();
    float[] mf = new float[n];
    float[] vf = new float[n];
    for (int i = 0; i < n; i++) {
      ref[i] = p0[i];
    }
    long lost = 0;
    for (int s = 0; s < steps; s++) {
      opt.update(p, Map.of("lora_A", Nd4j.createFromArray(g[s].clone())), st);
      int t = s + 1;
      double bc1 = 1 - Math.pow(0.9, t);
      double bc2 = 1 - Math.pow(0.999, t);
      for (int i = 0; i < n; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[s][i];
        v[i] = 0.999 * v[i] + 0.001 * g[s][i] * (double) g[s][i];
        ref[i] = ref[i] - 1e-4 * wd * ref[i] - 1e-4 * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + 1e-8);
        mf[i] = 0.9f * mf[i] + 0.1f * g[s][i];
        vf[i] = 0.999f * vf[i] + 0.001f * g[s][i] * g[s][i];
        float step = (float) (1e-4 * wd * master[i] + 1e-4 * (mf[i] / bc1) / (Math.sqrt(vf[i] / bc2) + 1e-8));
        float next = bf16(master[i] - step);
        lost += next == master[i] ? 1 : 0;
        master[i] = next;
      }
    }
    float[] got = p.get("lora_A").toFloatVector();
    double moved = 0;
    double floatErr = 0;
    double bf16Err = 0;
    for (int i = 0; i < n; i++) {
      double d = ref[i] - p0[i];
      moved += Math.abs(d);
      floatErr += Math.abs((got[i] - p0[i]) - d);
      bf16Err += Math.abs((master[i] - p0[i]) - d);
    }
    return new double[] {moved / n, floatErr / moved, bf16Err / moved, (double) lost / ((long) n * steps)};
  }

  private static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  @Test
  void smallAdamWStepsAtLoraAMagnitudeAreKeptInFloatAndRoundedAwayByABf16Master() {
    // magnitudes: the issue's ~1e-3, and this library's lora_A init at SD 1.5's narrowest width
    // (uniform ±1/√320: mean |a| ≈ 0.028); noisy gradients (mean 0.1 of their spread): Adam's
    // normalised steps |m̂/√v̂| are then mostly well under 1, i.e. steps well under lr. Measured
    // (4,096 elements, 20 steps): at 1e-3 float32 is off by 2.7e-7 of the displacement, a bf16 master
    // by 1% (6% of its updates lost: bf16's half-ulp there, ~2e-6, is under most steps); at 0.028
    // float32 5.5e-6, a bf16 master 68% (88% of its updates lost: half-ulp 6.1e-5)
    for (double magnitude : new double[] {1e-3, 0.028}) {
      double[] r = adam(magnitude, 0.1, 1.0, 0.0, 20, 4096);
      System.out.printf(java.util.Locale.ROOT, "|lora_A| %.0e, lr 1e-4, 20 noisy steps: mean displacement %.3e;"
          + " relative error float32 %.2e, bf16 master %.2f; bf16 updates lost %.0f%%%n", magnitude, r[0], r[1], r[2],
          100 * r[3]);
      assertTrue(r[1] < 1e-3, "float32 keeps the AdamW updates: relative error " + r[1]);
      if (magnitude > 1e-2) {
        assertTrue(r[3] > 0.5, "a bf16 master loses most updates at |lora_A| 0.028: " + r[3]);
        assertTrue(r[2] > 0.3, "a bf16 master's displacement is far off at |lora_A| 0.028: " + r[2]);
      } else {
        assertTrue(r[2] > 30 * r[1], "a bf16 master is off more than float32 at |lora_A| 1e-3: " + r[2]);
      }
    }
    // AdamW's decoupled weight decay (lr·wd·θ = 1e-6·θ for wd 0.01, zero gradient): a relative change far
    // under bf16's 2^-9, so a bf16 master never applies it; float32 (2^-24) applies every step (measured:
    // 2.2% off the exact displacement, float32's rounding of a 1e-6 relative step)
    double[] decay = adam(1e-3, 0.0, 0.0, 0.01, 20, 1024);
    System.out.printf(java.util.Locale.ROOT, "weight decay only: relative error float32 %.2e, bf16 master %.2f;"
        + " bf16 updates lost %.0f%%%n", decay[1], decay[2], 100 * decay[3]);
    assertTrue(decay[1] < 0.1, "float32 applies the weight decay (within its rounding): relative error " + decay[1]);
    assertEquals(1.0, decay[3], 0.0, "a bf16 master loses every decay step");
    assertEquals(1.0, decay[2], 1e-12, "so its displacement is zero");
  }
}
