package org.draft4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.draft4j.io.Json;
import org.junit.jupiter.api.Test;

/** AdamW's hyperparameters and its schedule are records: written as JSON, read back strictly. */
class OptimizerConfigTest {
  @Test
  void hyperparametersRoundTripWithTheirSchedule() throws Exception {
    AdamW a = AdamW.lr(3e-4).weightDecay(0.01).clipNorm(1.0).schedule(LearningRateSchedule.cosine(100, 2000, 0.1));
    String json = Json.write(a.config());
    assertEquals("{\"optimizer\":\"AdamW\",\"lr\":3.0E-4,\"beta1\":0.9,\"beta2\":0.999,\"eps\":1.0E-8,"
        + "\"weight_decay\":0.01,\"clip_norm\":1.0,\"schedule\":{\"schedule\":\"cosine\",\"warmup\":100,\"total\":2000,"
        + "\"min_factor\":0.1}}", json);
    AdamW.Config back = Json.mapper().readValue(Json.write(a.hyperparameters()), AdamW.Config.class);
    assertEquals(a.hyperparameters(), back);
    assertEquals(a.config(), back.optimizer().config());
    for (long s : new long[] {0, 99, 100, 1500, 5000}) {
      assertEquals(a.learningRate(s), back.optimizer().learningRate(s), 0.0);
    }
    assertEquals(null, AdamW.lr(1e-3).hyperparameters().clipNorm()); // no clipping: null, not ∞
  }

  @Test
  void aScheduleOfAnotherKindOrWithAMissingFieldIsRefused() {
    JsonProcessingException kind = assertThrows(JsonProcessingException.class,
        () -> Json.mapper().readValue("{\"schedule\":\"linear\"}", LearningRateSchedule.class));
    assertTrue(kind.getMessage().contains("linear"), kind.getMessage());
    JsonProcessingException missing = assertThrows(JsonProcessingException.class,
        () -> Json.mapper().readValue("{\"schedule\":\"cosine\",\"warmup\":1,\"total\":9}", LearningRateSchedule.class));
    assertTrue(missing.getMessage().contains("min_factor"), missing.getMessage());
  }
}
