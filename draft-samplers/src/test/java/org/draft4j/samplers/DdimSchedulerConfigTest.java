package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.draft4j.io.Json;
import org.junit.jupiter.api.Test;

/** scheduler_config.json with diffusers' tolerance and the library's strictness on types. */
class DdimSchedulerConfigTest {
  @Test
  void unknownKeysAreIgnoredMissingOnesDefaultAndTypesAreChecked() {
    DdimSchedulerConfig c = DdimSchedulerConfig.fromJson(Json.parseObject("{\"_class_name\": \"DDIMScheduler\","
        + " \"_diffusers_version\": \"0.30.0\", \"thresholding\": false, \"prediction_type\": \"v_prediction\"}"), "f");
    assertEquals(DdimSchedulerConfig.sd15().withPredictionType("v_prediction"), c);
    assertEquals(c, DdimSchedulerConfig.fromJson(c.toJson(), "round trip"));
    assertEquals("DDIMScheduler", c.toJson().get("_class_name"));
    IllegalArgumentException text = assertThrows(IllegalArgumentException.class, () -> DdimSchedulerConfig.fromJson(
        Json.parseObject("{\"num_train_timesteps\": \"1000\"}"), "sched.json"));
    assertTrue(text.getMessage().startsWith("sched.json") && text.getMessage().contains("int"), text.getMessage());
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> DdimSchedulerConfig.fromJson(
        Json.parseObject("{\"timestep_spacing\": \"sideways\"}"), "sched.json"));
    assertTrue(range.getMessage().contains("timestep_spacing = \"sideways\""), range.getMessage());
  }

  @Test
  void theSamplerConfigIsARecordWithTheScheduler() {
    String json = Json.write(Ddim.steps(10).eta(0.5).guidance(3.0).config());
    assertTrue(json.startsWith("{\"sampler\":\"ddim\",\"steps\":10,\"eta\":0.5,\"guidance\":3.0,\"scheduler\":{"
        + "\"num_train_timesteps\":1000,"), json);
  }
}
