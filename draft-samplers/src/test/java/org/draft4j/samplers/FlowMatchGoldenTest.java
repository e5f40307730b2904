package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.testing.FakeDenoisers;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Flow matching against diffusers v0.35.2's own {@code FlowMatchEulerDiscreteScheduler}
 * (shared/flow/flow_match_golden.json, float32; see shared/flow/README.md): every schedule and call
 * it holds (static shift 1 and 3, shift_terminal, dynamic exponential and linear shifting at two μ,
 * FLUX's custom sigmas), the training sigma range, the resolved configs, scale_noise per item and
 * after set_begin_index, the Euler trajectories of the file's fake velocity model (through the
 * scheduler's step and through the sampler's chain) and FLUX's calculate_shift. Every value within
 * {@code 1e-5·max(1, |want|)}; timesteps (near 1000, where one float32 ulp is 6.1e-5) within 1e-5
 * absolute, so they must be diffusers' float32 values exactly; diffusers' NaN (JSON null) must be NaN.
 */
@SuppressWarnings("unchecked")
class FlowMatchGoldenTest {
  static Map<String, Object> g;

  @BeforeAll
  static void load() throws Exception {
    g = Json.parseObject(Files.readString(SharedData.require("flow/flow_match_golden.json")));
  }

  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  static double[] doubles(Object list) {
    return ((List<Object>) list).stream().mapToDouble(x -> x == null ? Double.NaN : ((Number) x).doubleValue())
        .toArray();
  }

  static void close(double want, double got, double tol, String what) {
    if (Double.isNaN(want)) {
      assertTrue(Double.isNaN(got), what + ": want NaN (diffusers' null) got " + got);
      return;
    }
    assertTrue(Math.abs(want - got) <= tol, what + ": want " + want + " got " + got + " (diff " + (got - want) + ")");
  }

  static void closeAll(double[] want, double[] got, boolean absolute, String what) {
    assertEquals(want.length, got.length, what + " length");
    for (int i = 0; i < want.length; i++) {
      close(want[i], got[i], absolute ? 1e-5 : 1e-5 * Math.max(1, Math.abs(want[i])), what + "[" + i + "]");
    }
  }

  static double[] asDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  static INDArray tensor(Object values, long... shape) {
    return Nd4j.create(doubles(values), shape, 'c').castTo(DataType.FLOAT);
  }

  static FlowMatchSchedule schedule(FlowMatchEulerScheduler s, String call, Double mu, int n) {
    if (call.startsWith("set_timesteps(sigmas=")) {
      return s.setTimesteps(FlowMatchEulerScheduler.fluxSigmas(n), mu);
    }
    return mu == null ? s.setTimesteps(n) : s.setTimesteps(n, mu);
  }

  static void checkCase(FlowMatchEulerScheduler s, String call, Double mu, Map<String, Object> c, String what) {
    int n = ((Number) c.get("n")).intValue();
    FlowMatchSchedule got = schedule(s, call, mu, n);
    assertEquals(n, got.numSteps(), what);
    closeAll(doubles(c.get("timesteps")), asDoubles(got.timesteps()), true, what + " timesteps");
    closeAll(doubles(c.get("sigmas")), asDoubles(got.sigmas()), true, what + " sigmas");
    assertEquals(0.0f, got.sigmas()[n], what + " terminal sigma");
  }

  @Test
  void everyScheduleAndCallMatchesDiffusers() {
    Map<String, Object> schedules = map(g.get("schedules"));
    assertEquals(7, schedules.size(), "schedules in the file: " + schedules.keySet());
    int cases = 0;
    for (Map.Entry<String, Object> e : schedules.entrySet()) {
      String name = e.getKey();
      Map<String, Object> sch = map(e.getValue());
      Map<String, Object> config = map(sch.get("config"));
      // the resolved config reads from the file, round-trips to the same 15 keys, and equals the init args applied
      FlowMatchSchedulerConfig cfg = FlowMatchSchedulerConfig.fromJson(config, name);
      assertEquals(config, Json.parseObject(Json.write(cfg.toJson())), name + " config round trip");
      assertEquals(cfg, FlowMatchSchedulerConfig.fromJson(map(sch.get("init_args")), name + " init_args"), name);
      assertEquals(cfg, SchedulerConfigs.fromJson(config, name), name + " dispatch");
      FlowMatchEulerScheduler s = new FlowMatchEulerScheduler(cfg);
      close(((Number) sch.get("train_sigma_min")).doubleValue(), s.sigmaMin(), 0, name + " sigma_min");
      close(((Number) sch.get("train_sigma_max")).doubleValue(), s.sigmaMax(), 0, name + " sigma_max");
      String call = (String) sch.get("call");
      if (sch.containsKey("set_timesteps")) {
        for (Map.Entry<String, Object> c : map(sch.get("set_timesteps")).entrySet()) {
          checkCase(s, call, null, map(c.getValue()), name + " n=" + c.getKey());
          cases++;
        }
      } else {
        for (Map.Entry<String, Object> m : map(sch.get("set_timesteps_mu")).entrySet()) {
          double mu = Double.parseDouble(m.getKey());
          for (Map.Entry<String, Object> c : map(m.getValue()).entrySet()) {
            checkCase(s, call, mu, map(c.getValue()), name + " mu=" + mu + " n=" + c.getKey());
            cases++;
          }
        }
      }
    }
    assertEquals(5 * 3 + 10 * 3 + 6, cases, "cases checked");
  }

  @Test
  void scaleNoisePerItemAndAfterSetBeginIndex() {
    Map<String, Object> in = map(g.get("scale_noise_inputs"));
    INDArray sample = tensor(in.get("sample"), 2, 2, 2, 2);
    INDArray noise = tensor(in.get("noise"), 2, 2, 2, 2);
    Map<String, Object> cases = map(g.get("scale_noise"));
    assertEquals(5, cases.size());
    for (Map.Entry<String, Object> e : cases.entrySet()) {
      Map<String, Object> c = map(e.getValue());
      Map<String, Object> sch = map(map(g.get("schedules")).get(c.get("scheduler")));
      FlowMatchEulerScheduler s = new FlowMatchEulerScheduler(FlowMatchSchedulerConfig.fromJson(map(sch.get("config")),
          e.getKey()));
      FlowMatchSchedule schedule = s.setTimesteps(((Number) c.get("set_timesteps")).intValue());
      double[] ts = doubles(c.get("timestep"));
      double[] used = doubles(c.get("sigma_used"));
      double[] idx = doubles(c.get("timestep_indices"));
      for (int b = 0; b < 2; b++) {
        assertEquals((int) idx[b], schedule.indexForTimestep((float) ts[b]), e.getKey() + " index of " + ts[b]);
        close(used[b], schedule.sigma((int) idx[b]), 0, e.getKey() + " sigma used");
      }
      INDArray got = c.get("begin_index") != null
          ? s.scaleNoise(schedule, sample, ((Number) c.get("begin_index")).intValue(), noise)
          : s.scaleNoise(schedule, sample, new float[] {(float) ts[0], (float) ts[1]}, noise);
      closeAll(doubles(c.get("result")), got.castTo(DataType.DOUBLE).dup().data().asDouble(), false, e.getKey());
      if (c.get("begin_index") == null) {
        // the schedule's own re-noising (what DRaFT-LV uses) is the same formula at a step's level
        for (int b = 0; b < 2; b++) {
          INDArray one = schedule.noiseTo(sample.slice(b).reshape(1, 2, 2, 2), (int) idx[b],
              noise.slice(b).reshape(1, 2, 2, 2));
          double[] want = doubles(c.get("result"));
          double[] part = java.util.Arrays.copyOfRange(want, b * 8, b * 8 + 8);
          closeAll(part, one.castTo(DataType.DOUBLE).dup().data().asDouble(), false, e.getKey() + " noiseTo " + b);
        }
      }
    }
  }

  /** The file's fake velocity model: {@code v = A·x + B·sin(x) + C·t/1000}, elementwise in float32. */
  static INDArray velocity(INDArray x, double t) {
    Map<String, Object> v = map(g.get("velocity"));
    float a = ((Number) v.get("A")).floatValue();
    float b = ((Number) v.get("B")).floatValue();
    float c = ((Number) v.get("C")).floatValue();
    INDArray xf = x.castTo(DataType.FLOAT);
    return xf.mul(a).addi(Transforms.sin(xf, true).muli(b)).addi((float) (c * (float) t / 1000f));
  }

  @Test
  void trajectoriesThroughTheSchedulerAndTheSampler() {
    INDArray xT = tensor(map(g.get("trajectory_x_T")).get("values"), 1, 4, 4, 4);
    Map<String, Object> trajectories = map(g.get("trajectories"));
    assertEquals(5, trajectories.size());
    Denoiser fake = FakeDenoisers.predicting((x, t, ctx) -> {
      INDArray out = Nd4j.create(DataType.FLOAT, x.shape());
      for (int b = 0; b < x.size(0); b++) {
        out.slice(b).assign(velocity(x.slice(b), t.getDouble(b)));
      }
      return out;
    });
    for (Map.Entry<String, Object> e : trajectories.entrySet()) {
      String name = e.getKey();
      Map<String, Object> tr = map(e.getValue());
      FlowMatchSchedulerConfig cfg = FlowMatchSchedulerConfig.fromJson(map(tr.get("init_args")), name);
      Map<String, Object> st = map(tr.get("set_timesteps"));
      int n = ((Number) st.get("n")).intValue();
      Double mu = st.containsKey("mu") ? ((Number) st.get("mu")).doubleValue() : null;
      FlowMatchEulerScheduler s = new FlowMatchEulerScheduler(cfg);
      FlowMatchSchedule schedule = mu == null ? s.setTimesteps(n) : s.setTimesteps(n, mu);
      closeAll(doubles(tr.get("timesteps")), asDoubles(schedule.timesteps()), true, name + " timesteps");
      closeAll(doubles(tr.get("sigmas")), asDoubles(schedule.sigmas()), true, name + " sigmas");
      List<Object> xs = (List<Object>) tr.get("x");
      assertEquals(n + 1, xs.size());
      closeAll(doubles(xs.get(0)), xT.castTo(DataType.DOUBLE).dup().data().asDouble(), false, name + " x_0");
      // diffusers' loop through the scheduler's float32 step
      INDArray x = xT.dup();
      for (int i = 0; i < n; i++) {
        x = s.step(schedule, i, velocity(x, schedule.timestep(i)), x);
        closeAll(doubles(xs.get(i + 1)), x.castTo(DataType.DOUBLE).dup().data().asDouble(), false,
            name + " scheduler x_" + (i + 1));
      }
      // the same through the sampler: the chain feeds t = N·σ_i and takes the rule's step
      FlowMatchSampler sampler = (mu == null ? FlowMatch.steps(n, cfg) : FlowMatch.steps(n, cfg, mu)).guidance(1.0);
      Conditioning c = new Conditioning(Nd4j.zeros(DataType.FLOAT, 1, 1, 1), null);
      INDArray y = xT.dup();
      for (int i = 0; i < n; i++) {
        y = sampler.rollout(fake, c, y, new long[] {0}, org.draft4j.spi.Span.of(i, i + 1)).output();
        closeAll(doubles(xs.get(i + 1)), y.castTo(DataType.DOUBLE).dup().data().asDouble(), false,
            name + " sampler x_" + (i + 1));
      }
      closeAll(doubles(xs.get(n)), sampler.sample(fake, c, xT, new long[] {0}, null).castTo(DataType.DOUBLE).dup()
          .data().asDouble(), false, name + " sampler sample");
      closeAll(doubles(tr.get("x_final_f64")), y.castTo(DataType.DOUBLE).dup().data().asDouble(), false,
          name + " float64 replay");
    }
  }

  @Test
  void fluxCalculateShift() {
    Map<String, Object> cs = map(g.get("calculate_shift"));
    Map<String, Object> values = map(cs.get("values"));
    assertEquals(5, values.size());
    FlowMatchEulerScheduler flux = new FlowMatchEulerScheduler(FlowMatchSchedulerConfig.flux());
    Map<String, Object> d = map(cs.get("function_defaults"));
    for (Map.Entry<String, Object> e : values.entrySet()) {
      int seq = Integer.parseInt(e.getKey());
      double want = ((Number) e.getValue()).doubleValue();
      close(want, flux.calculateShift(seq), 1e-12, "calculate_shift(" + seq + ")");
      close(want, FlowMatchSchedulerConfig.flux().calculateShift(seq), 1e-12, "config calculate_shift(" + seq + ")");
      close(want, FlowMatchEulerScheduler.calculateShift(seq, ((Number) d.get("base_seq_len")).intValue(),
          ((Number) d.get("max_seq_len")).intValue(), ((Number) d.get("base_shift")).doubleValue(),
          ((Number) d.get("max_shift")).doubleValue()), 1e-12, "calculate_shift(" + seq + ", defaults)");
    }
    // FLUX.1-dev's scheduler config is the file's dynamic_exponential config
    assertEquals(FlowMatchSchedulerConfig.fromJson(map(map(map(g.get("schedules")).get("dynamic_exponential"))
        .get("config")), "flux"), FlowMatchSchedulerConfig.flux());
    assertEquals(FlowMatchSchedulerConfig.fromJson(map(map(map(g.get("schedules")).get("shift3.0"))
        .get("config")), "sd3"), FlowMatchSchedulerConfig.sd3());
  }
}
