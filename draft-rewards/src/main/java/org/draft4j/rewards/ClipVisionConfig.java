package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Map;

/**
 * Hugging Face {@code CLIPVisionConfig} fields (ViT-L/14: hidden 1024, 24 layers, 16 heads, patch 14,
 * image 224, projection 768; ViT-H/14: 1280, 32, 16, 14, 224, 1024).
 */
public record ClipVisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
    int imageSize, int patchSize, int projectionDim, String hiddenAct, double layerNormEps) {
  public ClipVisionConfig {
    checkArgument(hiddenSize > 0 && numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0,
        "hidden_size = %s must be a positive multiple of num_attention_heads = %s", hiddenSize, numAttentionHeads);
    checkArgument(patchSize > 0 && imageSize % patchSize == 0, "image_size = %s must be a multiple of patch_size = %s",
        imageSize, patchSize);
    checkArgument(numHiddenLayers >= 1, "num_hidden_layers = %s must be >= 1", numHiddenLayers);
    checkArgument(hiddenAct.equals("quick_gelu") || hiddenAct.equals("gelu"),
        "hidden_act = \"%s\" is not supported; allowed: [quick_gelu, gelu]", hiddenAct);
  }

  /** Number of patches plus the class token. */
  public int tokens() {
    int n = imageSize / patchSize;
    return n * n + 1;
  }

  /** The {@code vision_config} object, as Hugging Face writes it. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("model_type", "clip_vision_model");
    m.put("hidden_size", hiddenSize);
    m.put("intermediate_size", intermediateSize);
    m.put("num_hidden_layers", numHiddenLayers);
    m.put("num_attention_heads", numAttentionHeads);
    m.put("image_size", imageSize);
    m.put("patch_size", patchSize);
    m.put("projection_dim", projectionDim);
    m.put("hidden_act", hiddenAct);
    m.put("layer_norm_eps", layerNormEps);
    return m;
  }

  /** Parses a {@code vision_config} object (projection_dim from the enclosing CLIPConfig when absent). */
  @SuppressWarnings("unchecked")
  public static ClipVisionConfig fromJson(Map<String, Object> m, int projectionDim, String source) {
    try {
      return new ClipVisionConfig(num(m, "hidden_size", 768), num(m, "intermediate_size", 3072),
          num(m, "num_hidden_layers", 12), num(m, "num_attention_heads", 12), num(m, "image_size", 224),
          num(m, "patch_size", 32), m.containsKey("projection_dim") ? num(m, "projection_dim", 512) : projectionDim,
          (String) m.getOrDefault("hidden_act", "quick_gelu"),
          ((Number) m.getOrDefault("layer_norm_eps", 1e-5)).doubleValue());
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static int num(Map<String, Object> m, String k, int d) {
    Object v = m.get(k);
    if (v == null) {
      return d;
    }
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("field \"" + k + "\" = " + v + " must be a number");
    }
    return n.intValue();
  }
}
