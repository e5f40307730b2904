package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.draft4j.nn.Parameters;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SameDiff CLIP text encoder against an independent implementation of the same math written
 * here in plain Java double loops (HF CLIPTextModel: token + position embedding; per layer
 * pre-LayerNorm causal multi-head attention and quick-GELU MLP with residuals; final LayerNorm).
 */
class ClipTextReferenceTest {
  static final ClipTextConfig CFG = new ClipTextConfig(20, 8, 16, 2, 2, 6, "quick_gelu", 1e-5);

  static double[][] mat(INDArray a) {
    return a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
  }

  static double[] vec(INDArray a) {
    return a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
  }

  static double[] linear(Map<String, INDArray> p, String n, double[] x) {
    double[][] w = mat(p.get(n + ".weight"));
    double[] b = vec(p.get(n + ".bias"));
    double[] y = new double[w.length];
    for (int o = 0; o < w.length; o++) {
      double s = b[o];
      for (int i = 0; i < x.length; i++) {
        s += w[o][i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  static double[] layerNorm(Map<String, INDArray> p, String n, double[] x) {
    double m = 0;
    for (double v : x) {
      m += v / x.length;
    }
    double var = 0;
    for (double v : x) {
      var += (v - m) * (v - m) / x.length;
    }
    double[] g = vec(p.get(n + ".weight"));
    double[] b = vec(p.get(n + ".bias"));
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (x[i] - m) / Math.sqrt(var + 1e-5) * g[i] + b[i];
    }
    return y;
  }

  static double[][] reference(Map<String, INDArray> p, int[] ids) {
    int n = ids.length;
    int d = CFG.hiddenSize();
    int heads = CFG.numAttentionHeads();
    int dh = d / heads;
    double[][] tok = mat(p.get("text_model.embeddings.token_embedding.weight"));
    double[][] pos = mat(p.get("text_model.embeddings.position_embedding.weight"));
    double[][] x = new double[n][d];
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < d; i++) {
        x[t][i] = tok[ids[t]][i] + pos[t][i];
      }
    }
    for (int l = 0; l < CFG.numHiddenLayers(); l++) {
      String pre = "text_model.encoder.layers." + l + ".";
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] h = layerNorm(p, pre + "layer_norm1", x[t]);
        q[t] = linear(p, pre + "self_attn.q_proj", h);
        k[t] = linear(p, pre + "self_attn.k_proj", h);
        v[t] = linear(p, pre + "self_attn.v_proj", h);
      }
      double[][] att = new double[n][d];
      for (int hd = 0; hd < heads; hd++) {
        for (int t = 0; t < n; t++) {
          double[] s = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int u = 0; u <= t; u++) {
            double dot = 0;
            for (int i = 0; i < dh; i++) {
              dot += q[t][hd * dh + i] * k[u][hd * dh + i];
            }
            s[u] = dot / Math.sqrt(dh);
            max = Math.max(max, s[u]);
          }
          double z = 0;
          for (int u = 0; u <= t; u++) {
            s[u] = Math.exp(s[u] - max);
            z += s[u];
          }
          for (int u = 0; u <= t; u++) {
            for (int i = 0; i < dh; i++) {
              att[t][hd * dh + i] += s[u] / z * v[u][hd * dh + i];
            }
          }
        }
      }
      for (int t = 0; t < n; t++) {
        double[] o = linear(p, pre + "self_attn.out_proj", att[t]);
        for (int i = 0; i < d; i++) {
          x[t][i] += o[i];
        }
        double[] h = linear(p, pre + "mlp.fc1", layerNorm(p, pre + "layer_norm2", x[t]));
        for (int i = 0; i < h.length; i++) {
          h[i] = h[i] / (1 + Math.exp(-1.702 * h[i]));
        }
        double[] m = linear(p, pre + "mlp.fc2", h);
        for (int i = 0; i < d; i++) {
          x[t][i] += m[i];
        }
      }
    }
    double[][] out = new double[n][];
    for (int t = 0; t < n; t++) {
      out[t] = layerNorm(p, "text_model.final_layer_norm", x[t]);
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
