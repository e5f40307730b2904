package org.draft4j.shapesworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.draft4j.io.Json;
import org.draft4j.models.TextToImageModel;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSchedulerConfig;
import org.junit.jupiter.api.Test;

/** A model samples under the schedule it was trained with: the one in its folder's scheduler/. */
class ModelScheduleTest {
  @Test
  void theShippedModelCarriesItsSchedulerConfig() throws Exception {
    TextToImageModel m = ShapesWorldModel.pretrained();
    String json;
    try (var in = ShapesWorldModel.class.getClassLoader()
        .getResourceAsStream(ShapesWorldModel.RESOURCE + "/scheduler/scheduler_config.json")) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    DdimSchedulerConfig want = DdimSchedulerConfig.fromJson(Json.parseObject(json), "shipped scheduler_config.json");
    assertEquals(want, Ddim.steps(25, m).scheduler().config());
  }

  @Test
  void aModelWithoutOneIsRefusedNamingTheFile() {
    TextToImageModel shipped = ShapesWorldModel.pretrained();
    TextToImageModel bare = TextToImageModel.builder().id("bare").tokenizer(shipped.tokenizer())
        .textEncoder(shipped.textEncoder()).unet(shipped.unet()).decoder(shipped.decoder()).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ddim.steps(10, bare));
    assertTrue(e.getMessage().contains("bare") && e.getMessage().contains("scheduler_config.json"), e.getMessage());
  }
}
