package org.draft4j.models.sd3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reading SD3 configs: defaults, round trip, refusals naming the field; a random tiny model builds. */
class SD3Transformer2DConfigTest {
  private static final SD3Transformer2DConfig TINY = new SD3Transformer2DConfig(16, 2, 16, 2, 8, 2, 32, 16, 16, 16, 16,
      java.util.List.of(), null);

  @Test
  void readsTheGoldenConfigAndRoundTrips() throws Exception {
    Path dir = SharedData.require("diffusers-golden/tiny_sd3_transformer_seed0");
    SD3Transformer2DConfig c = SD3Transformer2DConfig.load(dir.resolve("config.json"));
    assertEquals(TINY, c);
    assertEquals(16, c.innerDim());
    Map<String, Object> json = c.toJson();
    assertEquals("SD3Transformer2DModel", json.keySet().iterator().next().equals("_class_name")
        ? json.get("_class_name") : null);
    assertEquals(c, SD3Transformer2DConfig.fromJson(json, "round trip"));
  }

  @Test
  void missingKeysTakeDiffusersDefaults() {
    SD3Transformer2DConfig c = SD3Transformer2DConfig.fromJson(Map.of("num_layers", 24), "cfg.json");
    assertEquals(24, c.numLayers());
    assertEquals(1152, c.innerDim());
    assertEquals(96, c.posEmbedMaxSize());
    Map<String, Object> m = new LinkedHashMap<>(TINY.toJson());
    m.put("out_channels", null);
    m.put("in_channels", 8);
    assertEquals(8, SD3Transformer2DConfig.fromJson(m, "cfg.json").outChannels());
  }

  @Test
  void refusesWhatIsNotImplementedNamingTheField() {
    Map<String, Object> m = new LinkedHashMap<>(TINY.toJson());
    m.put("qk_norm", "layer_norm");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SD3Transformer2DConfig.fromJson(m, "sd35.json"));
    assertTrue(e.getMessage().contains("sd35.json") && e.getMessage().contains("qk_norm"), e.getMessage());
    Map<String, Object> d = new LinkedHashMap<>(TINY.toJson());
    d.put("dual_attention_layers", java.util.List.of(2));
    e = assertThrows(IllegalArgumentException.class, () -> SD3Transformer2DConfig.fromJson(d, "sd35.json"));
    assertTrue(e.getMessage().contains("dual_attention_layers"), e.getMessage());
    Map<String, Object> w = new LinkedHashMap<>(TINY.toJson());
    w.put("caption_projection_dim", 24);
    e = assertThrows(IllegalArgumentException.class, () -> SD3Transformer2DConfig.fromJson(w, "bad.json"));
    assertTrue(e.getMessage().startsWith("bad.json: ") && e.getMessage().contains("caption_projection_dim"),
        e.getMessage());
  }

  @Test
  void randomModelComputesThePositionTable() {
    SD3Transformer2DModel m = SD3Transformer2DModel.random(TINY, 3);
    assertTrue(m.parameterCount() > 0);
    INDArray table = SD3Transformer2DModel.computedPositionTable(TINY);
    assertEquals(256, table.size(0));
    // grid (0, 0): sin 0 = 0, cos 0 = 1 in both halves
    assertEquals(0.0, table.getDouble(0, 0), 0.0);
    assertEquals(1.0, table.getDouble(0, 4), 0.0);
    assertEquals(1.0, table.getDouble(0, 12), 0.0);
  }
}
