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
 * names. Missing keys take diffusers' defaults (SD3-medium's sizes except the layer count). The
 * SD3.5 options of diffusers v0.31 are read too: {@code qk_norm} ({@code null} or {@code "rms_norm"}:
 * RMSNorm on each head's queries and keys) and {@code dual_attention_layers} (blocks that add an
 * image-only self-attention {@code attn2}, the MMDiT-X block).
 *
 * <p>Derived sizes: inner width {@code D = num_attention_heads · attention_head_dim}; the image is
 * cut into {@code (H/p)·(W/p)} tokens of {@code p = patch_size}; {@code caption_projection_dim}
 * must equal D (the joint attention concatenates both streams' tokens at width D).
 */
@JsonPropertyOrder({"sample_size", "patch_size", "in_channels", "num_layers", "attention_head_dim",
    "num_attention_heads", "joint_attention_dim", "caption_projection_dim", "pooled_projection_dim", "out_channels",
    "pos_embed_max_size", "dual_attention_layers", "qk_norm"})
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
    @JsonProperty("pos_embed_max_size") int posEmbedMaxSize,
    @JsonProperty("dual_attention_layers") List<Integer> dualAttentionLayers,
    @JsonProperty("qk_norm") String qkNorm) {

  /** diffusers' defaults of {@code SD3Transformer2DModel.__init__} (v0.29.2). */
  public static final SD3Transformer2DConfig DEFAULTS =
      new SD3Transformer2DConfig(128, 2, 16, 18, 64, 18, 4096, 1152, 2048, 16, 96, List.of(), null);

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
    dualAttentionLayers = dualAttentionLayers == null ? List.of() : List.copyOf(dualAttentionLayers);
    for (int i : dualAttentionLayers) {
      checkArgument(i >= 0 && i < numLayers, "dual_attention_layers entry %s is not a block index < num_layers = %s",
          i, numLayers);
    }
    checkArgument(qkNorm == null || QK_NORMS.contains(qkNorm), "qk_norm = \"%s\" is not supported; allowed: null, %s",
        qkNorm, QK_NORMS);
  }

  /** The {@code qk_norm} values implemented (SD3.5's; null means none). */
  static final java.util.Set<String> QK_NORMS = java.util.Set.of("rms_norm");

  /** Whether block {@code i} adds SD3.5's image-only self-attention {@code attn2}. */
  public boolean dualAttention(int i) {
    return dualAttentionLayers.contains(i);
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
    String qk = r.has("qk_norm") ? r.oneOf("qk_norm", null, QK_NORMS) : null;
    int[] dual = r.intList("dual_attention_layers", new int[0], 0);
    Map<String, Object> rest = new java.util.LinkedHashMap<>(m);
    rest.remove("qk_norm");
    rest.remove("dual_attention_layers");
    if (rest.containsKey("out_channels") && rest.get("out_channels") == null) {
      // diffusers: out_channels None means in_channels
      rest.put("out_channels", r.integer("in_channels", DEFAULTS.inChannels()));
    }
    SD3Transformer2DConfig c = DiffusersConfigs.read(rest, DEFAULTS, SD3Transformer2DConfig.class, source);
    try {
      return new SD3Transformer2DConfig(c.sampleSize, c.patchSize, c.inChannels, c.numLayers, c.attentionHeadDim,
          c.numAttentionHeads, c.jointAttentionDim, c.captionProjectionDim, c.pooledProjectionDim, c.outChannels,
          c.posEmbedMaxSize, java.util.Arrays.stream(dual).boxed().toList(), qk);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(DiffusersConfigs.namingFile(e.getMessage(), source), e);
    }
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
