package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flow-matching scheduler_config.json (diffusers' keys and tolerance, the library's strictness),
 * the dispatch between DDIM and flow matching by {@code _class_name}, and the sampler's provenance.
 */
class FlowMatchSchedulerConfigTest {
  @TempDir Path dir;

  @Test
  void sd3AndFluxFilesReadWithDefaultsAndRoundTrip() throws Exception {
    // SD3's file (stabilityai/stable-diffusion-3-medium-diffusers): an integer shift is a number
    FlowMatchSchedulerConfig sd3 = FlowMatchSchedulerConfig.fromJson(Json.parseObject("{\"_class_name\":"
        + " \"FlowMatchEulerDiscreteScheduler\", \"_diffusers_version\": \"0.29.0.dev0\", \"num_train_timesteps\": 1000,"
        + " \"shift\": 3}"), "sd3");
    assertEquals(FlowMatchSchedulerConfig.sd3(), sd3);
    FlowMatchSchedulerConfig flux = FlowMatchSchedulerConfig.fromJson(Json.parseObject("{\"_class_name\":"
        + " \"FlowMatchEulerDiscreteScheduler\", \"base_image_seq_len\": 256, \"base_shift\": 0.5,"
        + " \"max_image_seq_len\": 4096, \"max_shift\": 1.15, \"num_train_timesteps\": 1000, \"shift\": 3.0,"
        + " \"use_dynamic_shifting\": true}"), "flux");
    assertEquals(FlowMatchSchedulerConfig.flux(), flux);
    FlowMatchSchedulerConfig odd = FlowMatchSchedulerConfig.defaults().withShift(5.0).withShiftTerminal(0.1)
        .withTimeShiftType("linear").withStochasticSampling(true);
    Path f = dir.resolve("scheduler_config.json");
    SchedulerConfigs.write(odd, f);
    Map<String, Object> written = Json.parseObject(Files.readString(f));
    assertEquals(FlowMatchSchedulerConfig.CLASS_NAME, written.get("_class_name"));
    assertEquals(List.of("_class_name", "num_train_timesteps", "shift", "use_dynamic_shifting", "base_shift",
        "max_shift", "base_image_seq_len", "max_image_seq_len", "invert_sigmas", "shift_terminal", "use_karras_sigmas",
        "use_exponential_sigmas", "use_beta_sigmas", "time_shift_type", "stochastic_sampling"),
        List.copyOf(written.keySet()));
    assertEquals(odd, SchedulerConfigs.read(f));
    assertEquals(odd, FlowMatchSchedulerConfig.load(f));
    assertEquals(null, FlowMatchSchedulerConfig.defaults().toJson().get("shift_terminal"));
    assertTrue(FlowMatchSchedulerConfig.defaults().toJson().containsKey("shift_terminal"), "null is written");
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> FlowMatchSchedulerConfig
        .fromJson(Json.parseObject("{\"shift\": \"3\"}"), "sched.json"));
    assertTrue(type.getMessage().startsWith("sched.json"), type.getMessage());
    for (String[] c : new String[][] {{"\"time_shift_type\": \"cubic\"", "time_shift_type = \"cubic\""},
        {"\"shift\": 0", "shift = 0.0 must be finite and > 0"}, {"\"shift_terminal\": 1.0", "shift_terminal = 1.0"},
        {"\"invert_sigmas\": true", "invert_sigmas = true"}, {"\"use_karras_sigmas\": true", "use_karras_sigmas = true"},
        {"\"use_exponential_sigmas\": true", "use_exponential_sigmas = true"},
        {"\"use_beta_sigmas\": true", "use_beta_sigmas = true"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlowMatchSchedulerConfig
          .fromJson(Json.parseObject("{" + c[0] + "}"), "sched.json"));
      assertTrue(e.getMessage().startsWith("sched.json: ") && e.getMessage().contains(c[1]), e.getMessage());
    }
  }

  @Test
  void dispatchByClassName() throws Exception {
    assertInstanceOf(FlowMatchSchedulerConfig.class, SchedulerConfigs.fromJson(
        Json.parseObject("{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\"}"), "f"));
    SchedulerConfig ddim = SchedulerConfigs.fromJson(DdimSchedulerConfig.sd15().toJson(), "d");
    assertEquals(DdimSchedulerConfig.sd15(), ddim);
    assertEquals("DDIMScheduler", ddim.className());
    // implementing SchedulerConfig adds no key to DDIM's record (its provenance stays as it was)
    assertEquals(List.of("num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "set_alpha_to_one",
        "steps_offset", "prediction_type", "timestep_spacing", "clip_sample", "clip_sample_range",
        "rescale_betas_zero_snr"), List.copyOf(Json.parseObject(Json.write(DdimSchedulerConfig.sd15())).keySet()));
    // SD 1.x folders ship PNDM's config; its betas are DDIM's
    assertEquals(DdimSchedulerConfig.sd15(), SchedulerConfigs.fromJson(Json.parseObject("{\"_class_name\":"
        + " \"PNDMScheduler\", \"beta_end\": 0.012, \"beta_schedule\": \"scaled_linear\", \"beta_start\": 0.00085,"
        + " \"num_train_timesteps\": 1000, \"set_alpha_to_one\": false, \"skip_prk_steps\": true,"
        + " \"steps_offset\": 1}"), "pndm"));
    Path f = dir.resolve("scheduler_config.json");
    SchedulerConfigs.write(DdimSchedulerConfig.zeroTerminalSnr(), f);
    assertEquals(DdimSchedulerConfig.zeroTerminalSnr(), SchedulerConfigs.read(f));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> SchedulerConfigs.fromJson(
        Json.parseObject("{\"_class_name\": \"LCMScheduler\"}"), "model/scheduler_config.json"));
    assertTrue(unknown.getMessage().startsWith("model/scheduler_config.json: _class_name = \"LCMScheduler\"")
        && unknown.getMessage().contains("FlowMatchEulerDiscreteScheduler")
        && unknown.getMessage().contains("DDIMScheduler"), unknown.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> SchedulerConfigs.fromJson(
        Json.parseObject("{\"shift\": 3.0}"), "x.json"));
    assertTrue(missing.getMessage().contains("_class_name = null"), missing.getMessage());
  }

  @Test
  void theSamplerConfigIsARecordWithTheScheduler() {
    String json = Json.write(FlowMatch.steps(10, FlowMatchSchedulerConfig.sd3()).guidance(3.0).config());
    assertTrue(json.startsWith("{\"sampler\":\"flow_match_euler\",\"steps\":10,\"guidance\":3.0,\"scheduler\":{"
        + "\"num_train_timesteps\":1000,\"shift\":3.0,"), json);
    String flux = Json.write(FlowMatch.steps(4, FlowMatchSchedulerConfig.flux(), 0.5).imageSeqLen(4096).guidance(1.0)
        .sigmas(FlowMatchEulerScheduler.fluxSigmas(4)).embeddedGuidance(3.5).config());
    assertTrue(flux.startsWith("{\"sampler\":\"flow_match_euler\",\"steps\":4,\"guidance\":1.0,\"mu\":1.15,"
        + "\"sigmas\":[1.0,0.75,0.5,0.25],\"embedded_guidance\":3.5,\"scheduler\":{"), flux);
    IllegalArgumentException noMu = assertThrows(IllegalArgumentException.class,
        () -> FlowMatch.steps(4, FlowMatchSchedulerConfig.flux()));
    assertTrue(noMu.getMessage().contains("use_dynamic_shifting = true needs mu"), noMu.getMessage());
    IllegalArgumentException staticMu = assertThrows(IllegalArgumentException.class,
        () -> FlowMatch.steps(4).mu(1.0));
    assertTrue(staticMu.getMessage().contains("needs use_dynamic_shifting = true"), staticMu.getMessage());
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
        () -> FlowMatch.steps(1, FlowMatchSchedulerConfig.sd3().withShiftTerminal(0.1)));
    assertTrue(nan.getMessage().contains("non-finite sigma"), nan.getMessage());
  }
}
