package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Span;
import org.draft4j.testing.FakeDenoisers;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Zero terminal SNR against diffusers v0.25.1's own DDIMScheduler (shared/ddim/ddim_zero_snr_golden.json,
 * float64): {@code rescale_betas_zero_snr=True} with v-prediction, trailing and leading spacing;
 * betas and ᾱ at listed indices, timesteps, and 10- and 25-step η = 0 trajectories through the
 * sampler with the file's fake model. Tolerance as the file recommends: timesteps exact,
 * |got − want| ≤ 1e-5·max(1, |want|).
 */
@SuppressWarnings("unchecked")
class DdimZeroSnrGoldenTest {
  private static Map<String, Object> golden() throws Exception {
    return Json.parseObject(Files.readString(SharedData.require("ddim/ddim_zero_snr_golden.json")));
  }

  private static void close(double want, double got, String what) {
    assertTrue(Math.abs(want - got) <= 1e-5 * Math.max(1, Math.abs(want)), what + ": want " + want + " got " + got);
  }

  private static INDArray flat(Object list) {
    double[] d = ((List<Object>) list).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
    return Nd4j.create(d, new long[] {1, 2, 2, 2}, 'c').castTo(DataType.FLOAT);
  }

  private static void close(Object want, INDArray got, String what) {
    double[] w = ((List<Object>) want).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
    double[] a = got.castTo(DataType.DOUBLE).dup().data().asDouble();
    assertEquals(w.length, a.length, what);
    for (int i = 0; i < w.length; i++) {
      close(w[i], a[i], what + "[" + i + "]");
    }
  }

  @Test
  void schedulesTimestepsAndTrajectoriesMatchDiffusers() throws Exception {
    Map<String, Object> g = golden();
    Map<String, Object> configs = (Map<String, Object>) g.get("configs");
    assertEquals(2, configs.size());
    for (Map.Entry<String, Object> e : configs.entrySet()) {
      String name = e.getKey();
      Map<String, Object> c = (Map<String, Object>) e.getValue();
      DdimSchedulerConfig cfg = DdimSchedulerConfig.fromJson((Map<String, Object>) c.get("config"), name);
      assertTrue(cfg.rescaleBetasZeroSnr(), name);
      DdimScheduler s = new DdimScheduler(cfg);
      ((Map<String, Object>) c.get("alphas_cumprod_at")).forEach((t, v) ->
          close(((Number) v).doubleValue(), s.alphaCumprod(Integer.parseInt(t)), name + " alphas_cumprod[" + t + "]"));
      ((Map<String, Object>) c.get("betas_at")).forEach((t, v) ->
          close(((Number) v).doubleValue(), s.beta(Integer.parseInt(t)), name + " betas[" + t + "]"));
      assertEquals(0.0, s.alphaCumprod(999), "zero terminal SNR");
      close(((Number) c.get("final_alpha_cumprod")).doubleValue(), s.alphaCumprod(-1), name + " final alpha");
      ((Map<String, Object>) c.get("timesteps")).forEach((n, ts) -> assertArrayEquals(
          ((List<Object>) ts).stream().mapToInt(x -> ((Number) x).intValue()).toArray(),
          s.timesteps(Integer.parseInt(n)), name + " timesteps(" + n + ")"));
      for (Map.Entry<String, Object> te : ((Map<String, Object>) c.get("trajectories")).entrySet()) {
        Map<String, Object> tr = (Map<String, Object>) te.getValue();
        int n = ((Number) tr.get("num_inference_steps")).intValue();
        DdimSampler sampler = Ddim.steps(n, cfg).eta(0).guidance(1.0);
        Conditioning cond = new Conditioning(Nd4j.zeros(DataType.FLOAT, 1, 1, 1), null);
        INDArray x = flat(g.get("x_T"));
        List<Object> steps = (List<Object>) tr.get("steps");
        String what = name + " " + te.getKey();
        for (int i = 0; i < n; i++) {
          Map<String, Object> st = (Map<String, Object>) steps.get(i);
          assertEquals(((Number) st.get("t")).intValue(), sampler.timestep(i), what + " t at " + i);
          close(((Number) st.get("alpha_prod_t")).doubleValue(), s.alphaCumprod(sampler.timestep(i)), what + " alpha");
          close(st.get("model_output"), sampler.guidedOutput(FakeDenoisers.golden(), cond, x, i), what + " out " + i);
          close(st.get("pred_original_sample"), sampler.rollout(FakeDenoisers.golden(), cond, x, new long[] {0}, Span.of(i, i + 1).endingInPredictedX0()).output(), what + " x0 " + i);
          x = sampler.rollout(FakeDenoisers.golden(), cond, x, new long[] {0}, Span.of(i, i + 1)).output();
          close(st.get("prev_sample"), x, what + " prev " + i);
        }
        close(tr.get("final"), x, what + " final");
      }
    }
  }

  @Test
  void epsilonPredictionWithZeroTerminalSnrIsRefusedNamingTheFields() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DdimSchedulerConfig.zeroTerminalSnr().withPredictionType("epsilon"));
    assertTrue(e.getMessage().contains("rescale_betas_zero_snr") && e.getMessage().contains("prediction_type")
        && e.getMessage().contains("epsilon"), e.getMessage());
    IllegalArgumentException j = assertThrows(IllegalArgumentException.class, () -> DdimSchedulerConfig.fromJson(
        Map.of("rescale_betas_zero_snr", true), "scheduler_config.json"));
    assertTrue(j.getMessage().startsWith("scheduler_config.json") && j.getMessage().contains("epsilon"), j.getMessage());
  }

  @Test
  void theFlagRoundTripsThroughDiffusersConfig() {
    DdimSchedulerConfig z = DdimSchedulerConfig.zeroTerminalSnr();
    assertEquals(true, z.toJson().get("rescale_betas_zero_snr"));
    assertEquals(z, DdimSchedulerConfig.fromJson(z.toJson(), "round trip"));
    assertEquals(false, DdimSchedulerConfig.sd15().toJson().get("rescale_betas_zero_snr"));
  }
}
