package org.draft4j.models.sd3;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.DiffusersConfigs;
import org.draft4j.models.ModelFolder;

/**
 * diffusers' {@code SD3Transformer2DModel} config (v0.29.2, Stable Diffusion 3), under diffusers' key
 * names. Missing keys take diffusers' defaults (SD3-medium's sizes except the layer count); the
 * SD3.5 options of later diffusers ({@code qk_norm}, {@code dual_attention_layers}) are refused
 * unless they hold their no-op value.
 *
 * <p>Derived sizes: inner width {@code D = num_attention_heads · attention_head_dim}; the image is
 * cut into {@code (H/p)·(W/p)} tokens of {@code p = patch_size}; {@code caption_projection_dim}
 * must equal D (the joint attention concatenates both streams' tokens at width D).
 */
@JsonPropertyOrder({"sample_size", "patch_size", "in_channels", "num_layers", "attention_head_dim",
    "num_attention_heads", "joint_attention_dim", "caption_projection_dim", "pooled_projection_dim", "out_channels",
    "pos_embed_max_size"})
public record SD3Transformer2DConfig(
    @JsonProperty("sample_size") int sampleSize,
    @JsonProperty("patch_size") int patchSize,
    @JsonProperty("in_channels") int inChannels,
    @JsonProperty("num_layers") int numLayers,
    @JsonProperty("attention_head_dim") int attentionHeadDim,
    @JsonProperty("num_attention_heads") int numAttentionHeads,
    @JsonProperty("joint_attention_dim") int jointAttentionDim,
    @JsonProperty("caption_projection_dim") int captionProjectionDim,
    @JsonProperty("pooled_projection_dim") int pooledProjectionDim,
    @JsonProperty("out_channels") int outChannels,
    @JsonProperty("pos_embed_max_size") int posEmbedMaxSize) {

  /** diffusers' defaults of {@code SD3Transformer2DModel.__init__} (v0.29.2). */
  public static final SD3Transformer2DConfig DEFAULTS =
      new SD3Transformer2DConfig(128, 2, 16, 18, 64, 18, 4096, 1152, 2048, 16, 96);

  public SD3Transformer2DConfig {
    checkArgument(patchSize >= 1, "patch_size = %s must be >= 1", patchSize);
    checkArgument(sampleSize > 0 && sampleSize % patchSize == 0,
        "sample_size = %s must be a positive multiple of patch_size = %s", sampleSize, patchSize);
    checkArgument(inChannels > 0 && outChannels > 0, "in_channels = %s and out_channels = %s must be positive",
        inChannels, outChannels);
    checkArgument(numLayers >= 1, "num_layers = %s must be >= 1", numLayers);
    checkArgument(attentionHeadDim > 0 && numAttentionHeads > 0,
        "attention_head_dim = %s and num_attention_heads = %s must be positive", attentionHeadDim, numAttentionHeads);
    checkArgument(jointAttentionDim > 0 && pooledProjectionDim > 0,
        "joint_attention_dim = %s and pooled_projection_dim = %s must be positive", jointAttentionDim,
        pooledProjectionDim);
    checkArgument(captionProjectionDim == numAttentionHeads * attentionHeadDim,
        "caption_projection_dim = %s must equal num_attention_heads · attention_head_dim = %s (the joint attention's"
            + " width)", captionProjectionDim, numAttentionHeads * attentionHeadDim);
    checkArgument(innerDim() % 4 == 0, "the inner width %s must be divisible by 4 (2-D sin-cos position table)",
        innerDim());
    checkArgument(posEmbedMaxSize >= sampleSize / patchSize,
        "pos_embed_max_size = %s must be >= sample_size / patch_size = %s", posEmbedMaxSize, sampleSize / patchSize);
  }

  /** The transformer width {@code D = heads · head_dim}. */
  public int innerDim() {
    return numAttentionHeads * attentionHeadDim;
  }

  /**
   * Parses diffusers' config.json content (unknown keys ignored, missing ones defaulted, types
   * checked); {@code source} names it in errors.
   */
  public static SD3Transformer2DConfig fromJson(Map<String, Object> m, String source) {
    DiffusersConfigs r = DiffusersConfigs.of(m, source);
    r.requireDefault("qk_norm", "none");
    if (m.get("dual_attention_layers") instanceof List<?> l && !l.isEmpty()) {
      throw r.error("dual_attention_layers", l, "[] (SD3.5's dual attention is not implemented)");
    }
    if (m.containsKey("out_channels") && m.get("out_channels") == null) {
      // diffusers: out_channels None means in_channels
      Map<String, Object> copy = new java.util.LinkedHashMap<>(m);
      copy.put("out_channels", r.integer("in_channels", DEFAULTS.inChannels()));
      m = copy;
    }
    return DiffusersConfigs.read(m, DEFAULTS, SD3Transformer2DConfig.class, source);
  }

  /** Reads {@code config.json}. */
  public static SD3Transformer2DConfig load(Path configJson) throws IOException {
    Path abs = configJson.toAbsolutePath();
    return fromJson(ModelFolder.of(abs.getParent()).readJson(abs.getFileName().toString()), configJson.toString());
  }

  /** diffusers' config.json content, {@code _class_name} first (round-trips through {@link #fromJson}). */
  public Map<String, Object> toJson() {
    return DiffusersConfigs.write("SD3Transformer2DModel", this);
  }
}
