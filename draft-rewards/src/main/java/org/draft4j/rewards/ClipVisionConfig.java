package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import org.draft4j.io.DiffusersConfigs;

/**
 * Hugging Face {@code CLIPVisionConfig} fields (ViT-L/14: hidden 1024, 24 layers, 16 heads, patch 14,
 * image 224, projection 768; ViT-H/14: 1280, 32, 16, 14, 224, 1024).
 */
public record ClipVisionConfig(
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("intermediate_size") int intermediateSize,
    @JsonProperty("num_hidden_layers") int numHiddenLayers,
    @JsonProperty("num_attention_heads") int numAttentionHeads,
    @JsonProperty("image_size") int imageSize,
    @JsonProperty("patch_size") int patchSize,
    @JsonProperty("projection_dim") int projectionDim,
    @JsonProperty("hidden_act") String hiddenAct,
    @JsonProperty("layer_norm_eps") double layerNormEps) {
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
    return DiffusersConfigs.write(Map.of("model_type", "clip_vision_model"), this);
  }

  /**
   * Parses a {@code vision_config} object (projection_dim from the enclosing CLIPConfig when absent;
   * unknown keys ignored, missing ones defaulted, types checked).
   */
  public static ClipVisionConfig fromJson(Map<String, Object> m, int projectionDim, String source) {
    return DiffusersConfigs.read(m, new ClipVisionConfig(768, 3072, 12, 12, 224, 32, projectionDim, "quick_gelu", 1e-5),
        ClipVisionConfig.class, source);
  }
}
