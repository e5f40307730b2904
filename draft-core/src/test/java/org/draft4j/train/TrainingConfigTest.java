package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.junit.jupiter.api.Test;

/**
 * The typed configuration writes the JSON the map-holding one wrote (the expected texts below are
 * that version's output for the same values), reads it back, and compares typed values.
 */
class TrainingConfigTest {
  static Map<String, Object> sampler() {
    Map<String, Object> sampler = new LinkedHashMap<>();
    sampler.put("sampler", "ddim");
    sampler.put("steps", 50);
    sampler.put("eta", 0.0);
    sampler.put("guidance", 7.5);
    Map<String, Object> sch = new LinkedHashMap<>();
    sch.put("prediction_type", "epsilon");
    sch.put("trained_betas", null);
    sch.put("beta_start", 0.00085f);
    sch.put("empty", Map.of());
    sch.put("list", List.of(1, 2.5, "x"));
    sampler.put("scheduler", sch);
    return sampler;
  }

  static TrainingConfig config(String graph, Map<String, Object> sampler) {
    Map<String, Object> adapter = new LinkedHashMap<>();
    adapter.put("adapter", "lora");
    adapter.put("rank", 4);
    adapter.put("alpha", 4.0);
    adapter.put("seed", 123456789012345L);
    Map<String, Object> objective = new LinkedHashMap<>();
    objective.put("objective", "draft_k");
    objective.put("k", 1);
    Map<String, Object> optimizer = new LinkedHashMap<>();
    optimizer.put("optimizer", "AdamW");
    optimizer.put("lr", 1e-3);
    optimizer.put("clip_norm", Double.NaN);
    return TrainingConfig.of("sd-tiny", sampler, "pickscore", graph, adapter, objective, optimizer, 2, 8, 42L);
  }

  @Test
  void writesTheJsonLayoutOfCheckpointsAndProvenanceUnchanged() {
    TrainingConfig c = config("graph-abc", sampler());
    assertEquals("""
      {"model":"sd-tiny","sampler":{"sampler":"ddim","steps":50,"eta":0.0,"guidance":7.5,\
      "scheduler":{"prediction_type":"epsilon","trained_betas":null,"beta_start":8.500000112690032E-4,\
      "empty":{},"list":[1,2.5,"x"]}},"reward":"pickscore","reward_graph":"graph-abc",\
      "adapter":{"adapter":"lora","rank":4,"alpha":4.0,"seed":123456789012345},\
      "objective":{"objective":"draft_k","k":1},"optimizer":{"optimizer":"AdamW","lr":0.001,\
      "clip_norm":null},"micro_batch":2,"global_batch":8,"seed":42}""", Json.write(c));
    String pretty = """
      {
        "model": "sd-tiny",
        "sampler": {
          "sampler": "ddim",
          "steps": 50,
          "eta": 0.0,
          "guidance": 7.5,
          "scheduler": {
            "prediction_type": "epsilon",
            "trained_betas": null,
            "beta_start": 8.500000112690032E-4,
            "empty": {},
            "list": [1, 2.5, "x"]
          }
        },
        "reward": "pickscore",
        "reward_graph": "graph-abc",
        "adapter": {
          "adapter": "lora",
          "rank": 4,
          "alpha": 4.0,
          "seed": 123456789012345
        },
        "objective": {
          "objective": "draft_k",
          "k": 1
        },
        "optimizer": {
          "optimizer": "AdamW",
          "lr": 0.001,
          "clip_norm": null
        },
        "micro_batch": 2,
        "global_batch": 8,
        "seed": 42
      }
      """;
    assertEquals(pretty, Json.writePretty(c));
    // provenance nests the same pretty config two spaces deeper
    assertEquals("{\n  \"version\": \"0.1\",\n  \"base_model\": \"sd-tiny\",\n  \"training_config\": "
        + pretty.strip().replace("\n", "\n  ") + """
      ,
        "steps": 3,
        "seed": 42,
        "nd4j_backend": "CpuBackend"
      }
      """, new Provenance("0.1", "sd-tiny", c, 3, 42, "CpuBackend").toJson());
    assertEquals("""
      {"model":"sd-tiny","sampler":{"sampler":"ddim","steps":50,"eta":0.0,"guidance":7.5,\
      "scheduler":{"prediction_type":"epsilon","trained_betas":null,"beta_start":8.500000112690032E-4,\
      "empty":{},"list":[1,2.5,"x"]}},"reward":"pickscore","adapter":{"adapter":"lora","rank":4,\
      "alpha":4.0,"seed":123456789012345},"objective":{"objective":"draft_k","k":1},\
      "optimizer":{"optimizer":"AdamW","lr":0.001,"clip_norm":null},"micro_batch":2,"global_batch":8,\
      "seed":42}""", Json.write(config(null, sampler())));
  }

  @Test
  void readsBackWhatItWrites() {
    for (String graph : new String[] {"graph-abc", null}) {
      TrainingConfig c = config(graph, sampler());
      TrainingConfig back = TrainingConfig.fromJson(Json.write(c));
      assertEquals(Json.write(c), Json.write(back));
      assertEquals(c, back);
      assertNull(back.differenceFrom(c));
      Provenance p = new Provenance("0.1", "sd-tiny", c, 3, 42, "CpuBackend");
      assertEquals(p, Provenance.fromMetadata(p.toMetadata()));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingConfig.fromJson("{\"model\":\"m\"}"));
    assertTrue(e.getMessage().contains("field sampler is missing"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainingConfig.fromJson(Json.write(config("g", sampler()))
        .replace("\"micro_batch\":2", "\"micro_batch\":2.5")));
    assertTrue(e.getMessage().contains("micro_batch = 2.5 must be an integer"), e.getMessage());
  }

  @Test
  @SuppressWarnings("unchecked")
  void aReplicaComparesTypedValuesByFieldWithoutTheRewardGraph() {
    TrainingConfig driver = config("graph-abc", sampler());
    assertNull(config(null, sampler()).differenceFrom(driver)); // only a trainer with checkpoints has the graph
    Map<String, Object> other = sampler();
    ((Map<String, Object>) other.get("scheduler")).put("prediction_type", "v_prediction");
    assertEquals("sampler.scheduler.prediction_type (driver \"epsilon\", replica \"v_prediction\")",
        config(null, other).differenceFrom(driver));
    Map<String, Object> reordered = new LinkedHashMap<>();
    List.of("scheduler", "guidance", "eta", "steps", "sampler").forEach(k -> reordered.put(k, sampler().get(k)));
    assertNull(config("graph-abc", reordered).differenceFrom(driver));
  }

  @Test
  void aConfigIsAValueNotAViewOfTheComponentsMaps() throws Exception {
    Map<String, Object> s = sampler();
    TrainingConfig c = config("g", s);
    String before = Json.write(c);
    s.put("steps", 7);
    c.sampler().withObject("scheduler").put("prediction_type", "changed");
    assertEquals(before, Json.write(c));
    // it travels to Spark's executors by Java serialization
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(c);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      TrainingConfig back = (TrainingConfig) in.readObject();
      assertEquals(c, back);
      assertNull(back.differenceFrom(c));
    }
    assertNotEquals(c, config("g", s));
  }
}
