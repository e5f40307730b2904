package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.draft4j.nn.Parameters;
import org.draft4j.testing.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SameDiff CLIP text encoder against an independent implementation of the same math written
 * here in plain Java double loops (HF CLIPTextModel: token + position embedding; per layer
 * pre-LayerNorm causal multi-head attention and quick-GELU MLP with residuals; final LayerNorm).
 */
class ClipTextReferenceTest {
  static final ClipTextConfig CFG = new ClipTextConfig(20, 8, 16, 2, 2, 6, "quick_gelu", 1e-5);

  static double[][] reference(Map<String, INDArray> p, int[] ids) {
    int n = ids.length;
    int d = CFG.hiddenSize();
    double[][] tok = Reference.mat(p.get("text_model.embeddings.token_embedding.weight"));
    double[][] pos = Reference.mat(p.get("text_model.embeddings.position_embedding.weight"));
    double[][] x = new double[n][d];
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < d; i++) {
        x[t][i] = tok[ids[t]][i] + pos[t][i];
      }
    }
    for (int l = 0; l < CFG.numHiddenLayers(); l++) {
      Reference.clipLayer(p, "text_model.encoder.layers." + l + ".", x, CFG.numAttentionHeads(), true, 1e-5);
    }
    double[][] out = new double[n][];
    for (int t = 0; t < n; t++) {
      out[t] = Reference.layerNorm(p, "text_model.final_layer_norm", x[t], 1e-5);
    }
    return out;
  }

  @Test
  void matchesIndependentReference() {
    ClipTextModel m = ClipTextModel.random(CFG, 42);
    // make the weights larger than CLIP's 0.02 init so every term matters
    m.parameters().asMap().values().forEach(a -> a.muli(10));
    int[][] ids = {{18, 3, 7, 19, 19, 19}, {18, 11, 2, 5, 9, 19}};
    INDArray got = m.encode(ids);
    for (int b = 0; b < 2; b++) {
      double[][] want = reference(m.parameters().asMap(), ids[b]);
      for (int t = 0; t < 6; t++) {
        for (int i = 0; i < 8; i++) {
          assertEquals(want[t][i], got.getDouble(b, t, i), 1e-4 * Math.max(1, Math.abs(want[t][i])),
              "b" + b + " t" + t + " i" + i);
        }
      }
    }
  }

  @Test
  void configErrorsNameFieldValueAndAllowed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> UNet2DConditionConfig.fromJson(Map.of("down_block_types", java.util.List.of("SimpleDownBlock2D")),
            "unet/config.json"));
    assertTrue(e.getMessage().contains("SimpleDownBlock2D") && e.getMessage().contains("CrossAttnDownBlock2D"),
        e.getMessage());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> UNet2DConditionConfig.fromJson(Map.of("use_linear_projection", true), "unet/config.json"));
    assertTrue(e2.getMessage().contains("unet/config.json: field \"use_linear_projection\" = true"), e2.getMessage());
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
        () -> ClipTextConfig.fromJson(Map.of("hidden_act", "relu"), "text_encoder/config.json"));
    assertTrue(e3.getMessage().contains("\"relu\"") && e3.getMessage().contains("quick_gelu"), e3.getMessage());
  }

  @Test
  void weightsOfTheWrongShapeNameTheKey() {
    ClipTextModel m = ClipTextModel.random(CFG, 1);
    Map<String, INDArray> w = new java.util.LinkedHashMap<>(m.parameters().asMap());
    w.put("text_model.final_layer_norm.weight", org.nd4j.linalg.factory.Nd4j.ones(9));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClipTextModel.of(CFG, Parameters.of(w, "model.safetensors")));
    assertTrue(e.getMessage().contains("model.safetensors: parameter \"text_model.final_layer_norm.weight\" has shape [9]"),
        e.getMessage());
  }
}
