package org.draft4j.objectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import org.draft4j.io.Json;
import org.junit.jupiter.api.Test;

/** Objectives are records: their config is their JSON, read back strictly. */
class ObjectiveConfigTest {
  @Test
  void configsAreTheRecordsAsJsonAndReadBack() throws Exception {
    List<Objective> all = List.of(Objectives.draft(), Objectives.draftK(2), Objectives.draftLv(3),
        Objectives.draftPlus(1, 0.5), Objectives.refl(3, 7), Objectives.alignProp(1, 4));
    List<String> json = List.of("{\"objective\":\"draft\"}", "{\"objective\":\"draftK\",\"k\":2}",
        "{\"objective\":\"draftLv\",\"n\":3}", "{\"objective\":\"draftPlus\",\"k\":1,\"kl_coeff\":0.5}",
        "{\"objective\":\"refl\",\"min_step\":3,\"max_step\":7}", "{\"objective\":\"alignProp\",\"min_k\":1,\"max_k\":4}");
    for (int i = 0; i < all.size(); i++) {
      assertEquals(json.get(i), Json.write(all.get(i).config()));
      assertEquals(all.get(i), Json.mapper().readValue(json.get(i), Objective.class));
    }
  }

  @Test
  void badConfigsAreRefusedNamingTheField() {
    JsonProcessingException unknown = assertThrows(JsonProcessingException.class,
        () -> Json.mapper().readValue("{\"objective\":\"draftK\",\"k\":1,\"kk\":2}", Objective.class));
    assertTrue(unknown.getMessage().contains("\"kk\""), unknown.getMessage());
    JsonProcessingException type = assertThrows(JsonProcessingException.class,
        () -> Json.mapper().readValue("{\"objective\":\"draftK\",\"k\":\"2\"}", Objective.class));
    assertTrue(type.getMessage().contains("k"), type.getMessage());
    JsonProcessingException fraction = assertThrows(JsonProcessingException.class,
        () -> Json.mapper().readValue("{\"objective\":\"draftK\",\"k\":1.5}", Objective.class));
    assertTrue(fraction.getMessage().contains("k"), fraction.getMessage());
    JsonProcessingException missing = assertThrows(JsonProcessingException.class,
        () -> Json.mapper().readValue("{\"objective\":\"refl\",\"min_step\":3}", Objective.class));
    assertTrue(missing.getMessage().contains("max_step"), missing.getMessage());
    JsonProcessingException kind = assertThrows(JsonProcessingException.class,
        () -> Json.mapper().readValue("{\"objective\":\"draftQ\",\"k\":1}", Objective.class));
    assertTrue(kind.getMessage().contains("draftQ"), kind.getMessage());
    // a value the record refuses: its own check, through Jackson
    Exception range = assertThrows(Exception.class,
        () -> Json.mapper().readValue("{\"objective\":\"draftK\",\"k\":0}", Objective.class));
    assertTrue(String.valueOf(range.getMessage()).contains("K >= 1"), range.getMessage());
  }
}
