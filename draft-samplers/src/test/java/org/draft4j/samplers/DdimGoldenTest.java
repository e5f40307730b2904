package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.Span;
import org.draft4j.testing.FakeDenoisers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DDIM against diffusers' numbers: src/test/resources/ddim_golden.json, a float64 numpy port of
 * diffusers' DDIMScheduler cross-checked against diffusers itself (see shared/ddim/README.md).
 * Tolerance as the file recommends: timesteps exact, |got − want| ≤ 1e-5·max(1, |want|).
 */
@SuppressWarnings("unchecked")
class DdimGoldenTest {
  static Map<String, Object> g;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = DdimGoldenTest.class.getResourceAsStream("/ddim_golden.json")) {
      g = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  static INDArray tensor(Object o) {
    Map<String, Object> m = (Map<String, Object>) o;
    long[] shape = ((List<Object>) m.get("shape")).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    double[] d = ((List<Object>) m.get("data")).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
    return Nd4j.create(d, shape, 'c').castTo(DataType.FLOAT);
  }

  static void close(INDArray want, INDArray got, String what) {
    double[] w = want.castTo(DataType.DOUBLE).data().asDouble();
    double[] a = got.castTo(DataType.DOUBLE).dup().data().asDouble();
    assertEquals(w.length, a.length, what);
    for (int i = 0; i < w.length; i++) {
      assertTrue(Math.abs(w[i] - a[i]) <= 1e-5 * Math.max(1, Math.abs(w[i])),
          what + "[" + i + "]: want " + w[i] + " got " + a[i]);
    }
  }

  static double num(Object o) {
    return ((Number) o).doubleValue();
  }

  @Test
  void timestepsOfEverySpacing() {
    Map<String, Object> ts = (Map<String, Object>) g.get("timesteps");
    for (String spacing : List.of("leading", "trailing", "linspace")) {
      DdimScheduler s = new DdimScheduler(DdimSchedulerConfig.sd15().withTimestepSpacing(spacing));
      for (String n : List.of("1", "10", "50")) {
        int[] want = ((List<Object>) ((Map<String, Object>) ts.get(spacing)).get(n)).stream()
            .mapToInt(x -> ((Number) x).intValue()).toArray();
        assertArrayEquals(want, s.timesteps(Integer.parseInt(n)), spacing + " " + n);
      }
    }
  }

  @Test
  void betaSchedulesAndAlphasCumprod() {
    Map<String, Object> sch = (Map<String, Object>) g.get("schedules");
    for (String name : List.of("scaled_linear_sd15", "linear_default")) {
      Map<String, Object> s = (Map<String, Object>) sch.get(name);
      Map<String, Object> c = (Map<String, Object>) s.get("config");
      DdimSchedulerConfig cfg = DdimSchedulerConfig.fromJson(c, name);
      DdimScheduler d = new DdimScheduler(cfg);
      List<Object> idx = (List<Object>) s.get("indices");
      for (int i = 0; i < idx.size(); i++) {
        int t = ((Number) idx.get(i)).intValue();
        double wantB = num(((List<Object>) s.get("betas")).get(i));
        double wantA = num(((List<Object>) s.get("alphas_cumprod")).get(i));
        assertEquals(wantB, d.beta(t), 1e-9 * Math.max(1, wantB), name + " beta " + t);
        assertEquals(wantA, d.alphaCumprod(t), 1e-9, name + " alphas_cumprod " + t);
      }
    }
  }

  @Test
  void singleStepsWithEta() {
    DdimScheduler s = new DdimScheduler(DdimSchedulerConfig.sd15());
    for (Object o : (List<Object>) g.get("eta_steps")) {
      Map<String, Object> e = (Map<String, Object>) o;
      int t = ((Number) e.get("t")).intValue();
      int n = ((Number) e.get("num_inference_steps")).intValue();
      int prev = s.prevTimestep(t, n);
      assertEquals(((Number) e.get("prev_t")).intValue(), prev);
      double eta = num(e.get("eta"));
      assertEquals(num(e.get("variance")), s.variance(t, prev), 1e-9);
      assertEquals(num(e.get("std_dev_t")), s.coefficients(t, prev, eta).std(), 1e-9);
      DdimScheduler.StepOutput out = s.step(tensor(e.get("model_output")), t, prev, tensor(e.get("sample")), eta,
          tensor(e.get("variance_noise")));
      close(tensor(e.get("pred_original_sample")), out.predOriginalSample(), "x0 eta " + eta + " t " + t);
      close(tensor(e.get("prev_sample")), out.prevSample(), "prev eta " + eta + " t " + t);
    }
  }

  @Test
  void trajectoriesThroughTheSampler() {
    Map<String, Object> trs = (Map<String, Object>) g.get("trajectories");
    for (Map.Entry<String, Object> en : trs.entrySet()) {
      String name = en.getKey();
      Map<String, Object> tr = (Map<String, Object>) en.getValue();
      int n = ((Number) tr.get("num_inference_steps")).intValue();
      DdimSchedulerConfig cfg = DdimSchedulerConfig.sd15();
      if (name.startsWith("trailing")) {
        cfg = cfg.withTimestepSpacing("trailing");
      }
      if (name.contains("_v_")) {
        cfg = cfg.withPredictionType("v_prediction");
      }
      boolean cfgGuided = name.contains("cfg7.5");
      DdimSampler sampler = Ddim.steps(n, cfg).eta(0).guidance(cfgGuided ? 7.5 : 1.0);
      // context 0 = unconditional fake eps; 1 = text branch
      INDArray zeros = Nd4j.zeros(DataType.FLOAT, 1, 1, 1);
      Conditioning c = cfgGuided ? new Conditioning(Nd4j.ones(DataType.FLOAT, 1, 1, 1), zeros)
          : new Conditioning(zeros, null);
      INDArray x = tensor(tr.get("x_T"));
      List<Object> steps = (List<Object>) tr.get("steps");
      for (int i = 0; i < n; i++) {
        Map<String, Object> st = (Map<String, Object>) steps.get(i);
        assertEquals(((Number) st.get("t")).intValue(), sampler.timestep(i), name + " t at " + i);
        close(tensor(st.get("model_output")), sampler.guidedOutput(FakeDenoisers.golden(), c, x, i),
            name + " model output " + i);
        close(tensor(st.get("pred_original_sample")), sampler.rollout(FakeDenoisers.golden(), c, x, new long[] {0}, Span.of(i, i + 1).endingInPredictedX0()).output(),
            name + " x0 " + i);
        x = sampler.rollout(FakeDenoisers.golden(), c, x, new long[] {0}, Span.of(i, i + 1)).output();
        close(tensor(st.get("prev_sample")), x, name + " prev " + i);
      }
      close(tensor(tr.get("final")), x, name + " final");
    }
  }

  @Test
  void addNoiseVelocityAndGuidance() {
    DdimScheduler s = new DdimScheduler(DdimSchedulerConfig.sd15());
    Map<String, Object> an = (Map<String, Object>) g.get("add_noise");
    INDArray x0 = tensor(an.get("x0"));
    INDArray noise = tensor(an.get("noise"));
    for (Object o : (List<Object>) an.get("results")) {
      Map<String, Object> r = (Map<String, Object>) o;
      int t = ((Number) r.get("t")).intValue();
      close(tensor(r.get("noisy")), s.addNoise(x0, noise, t), "add_noise " + t);
      close(tensor(r.get("velocity")), s.velocity(x0, noise, t), "velocity " + t);
    }
    // classifier-free guidance through the product: DdimSampler batches [uncond; cond] into one call
    Map<String, Object> cg = (Map<String, Object>) g.get("cfg");
    INDArray u = tensor(cg.get("eps_uncond"));
    INDArray c = tensor(cg.get("eps_text"));
    Denoiser byContext = FakeDenoisers.byContext(u, c);
    Conditioning cond = new Conditioning(Nd4j.ones(DataType.FLOAT, 1, 1, 1), Nd4j.zeros(DataType.FLOAT, 1, 1, 1));
    INDArray x = Nd4j.zeros(DataType.FLOAT, u.shape());
    for (Object o : (List<Object>) cg.get("results")) {
      Map<String, Object> r = (Map<String, Object>) o;
      double w = num(r.get("guidance_scale"));
      close(tensor(r.get("eps")), Ddim.steps(50).guidance(w).guidedOutput(byContext, cond, x, 10), "cfg " + w);
    }
  }

  @Test
  void samplerGivesOneTimestepPerStep() {
    Sampler s = Ddim.steps(50);
    assertEquals(981.0, s.schedule().time(0));
    assertEquals(1.0, s.schedule().time(49));
  }
}
