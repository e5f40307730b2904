package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.DiffusersConfigs;
import org.draft4j.io.Json;

/**
 * The subset of diffusers' {@code UNet2DConditionModel} config that Stable Diffusion 1.x and smaller
 * models of the same architecture use. Fields keep diffusers' names in {@link #toJson()} and
 * {@link #fromJson}; values draft4j does not implement are refused naming the supported ones.
 *
 * <p>Note: as in diffusers, {@code attention_head_dim} of SD 1.x configs is the number of heads
 * (legacy naming) unless {@code num_attention_heads} is given; head size = channels / heads.
 */
@JsonPropertyOrder({"sample_size", "in_channels", "out_channels", "block_out_channels", "layers_per_block",
    "down_block_types", "mid_block_type", "up_block_types", "attention_head_dim", "cross_attention_dim",
    "norm_num_groups", "norm_eps", "flip_sin_to_cos", "freq_shift", "act_fn"})
public record UNet2DConditionConfig(
    @JsonProperty("sample_size") int sampleSize,
    @JsonProperty("in_channels") int inChannels,
    @JsonProperty("out_channels") int outChannels,
    @JsonProperty("block_out_channels") int[] blockOutChannels,
    @JsonProperty("layers_per_block") int layersPerBlock,
    @JsonProperty("down_block_types") List<String> downBlockTypes,
    @JsonProperty("up_block_types") List<String> upBlockTypes,
    @JsonProperty("attention_head_dim") int[] attentionHeads,
    @JsonProperty("cross_attention_dim") int crossAttentionDim,
    @JsonProperty("norm_num_groups") int normNumGroups,
    @JsonProperty("norm_eps") double normEps,
    @JsonProperty("flip_sin_to_cos") boolean flipSinToCos,
    @JsonProperty("freq_shift") int freqShift) {

  static final Set<String> DOWN_TYPES = Set.of("CrossAttnDownBlock2D", "DownBlock2D");
  static final Set<String> UP_TYPES = Set.of("CrossAttnUpBlock2D", "UpBlock2D");

  public UNet2DConditionConfig {
    checkArgument(blockOutChannels.length >= 1, "block_out_channels must not be empty");
    checkArgument(downBlockTypes.size() == blockOutChannels.length,
        "down_block_types has %s entries but block_out_channels has %s", downBlockTypes.size(), blockOutChannels.length);
    checkArgument(upBlockTypes.size() == blockOutChannels.length,
        "up_block_types has %s entries but block_out_channels has %s", upBlockTypes.size(), blockOutChannels.length);
    checkArgument(attentionHeads.length == blockOutChannels.length,
        "attention_head_dim has %s entries but block_out_channels has %s", attentionHeads.length, blockOutChannels.length);
    for (String t : downBlockTypes) {
      checkArgument(DOWN_TYPES.contains(t), "down_block_types entry \"%s\" is not supported; allowed: %s", t, DOWN_TYPES);
    }
    for (String t : upBlockTypes) {
      checkArgument(UP_TYPES.contains(t), "up_block_types entry \"%s\" is not supported; allowed: %s", t, UP_TYPES);
    }
    for (int i = 0; i < blockOutChannels.length; i++) {
      int c = blockOutChannels[i];
      checkArgument(c > 0 && c % normNumGroups == 0,
          "block_out_channels[%s] = %s must be a positive multiple of norm_num_groups = %s", i, c, normNumGroups);
      checkArgument(attentionHeads[i] > 0 && c % attentionHeads[i] == 0,
          "block_out_channels[%s] = %s is not divisible by the %s attention heads", i, c, attentionHeads[i]);
    }
    checkArgument(layersPerBlock >= 1, "layers_per_block = %s must be >= 1", layersPerBlock);
    checkArgument(sampleSize > 0 && sampleSize % (1 << (blockOutChannels.length - 1)) == 0,
        "sample_size = %s must be divisible by 2^(blocks-1) = %s", sampleSize, 1 << (blockOutChannels.length - 1));
    blockOutChannels = blockOutChannels.clone();
    attentionHeads = attentionHeads.clone();
    downBlockTypes = List.copyOf(downBlockTypes);
    upBlockTypes = List.copyOf(upBlockTypes);
  }

  @Override
  public int[] blockOutChannels() {
    return blockOutChannels.clone();
  }

  @Override
  public int[] attentionHeads() {
    return attentionHeads.clone();
  }

  /** The mid block, the only one implemented (written to config files; {@link #fromJson} refuses others). */
  @JsonProperty("mid_block_type")
  String midBlockType() {
    return "UNetMidBlock2DCrossAttn";
  }

  /** The activation, the only one implemented (written to config files; {@link #fromJson} refuses others). */
  @JsonProperty("act_fn")
  String activation() {
    return "silu";
  }

  /** Channel count of block i. */
  public int channels(int i) {
    return blockOutChannels[i];
  }

  /** Number of resolution levels. */
  public int levels() {
    return blockOutChannels.length;
  }

  /** The time embedding width, 4 × block_out_channels[0] as in diffusers. */
  public int timeEmbedDim() {
    return blockOutChannels[0] * 4;
  }

  /** Parses diffusers' config.json content; {@code source} names it in errors. */
  public static UNet2DConditionConfig fromJson(Map<String, Object> m, String source) {
    DiffusersConfigs r = DiffusersConfigs.of(m, source);
    int[] boc = r.intList("block_out_channels", new int[] {320, 640, 1280, 1280}, 0);
    int n = boc.length;
    int[] heads;
    if (r.has("num_attention_heads")) {
      heads = r.intList("num_attention_heads", null, n);
    } else {
      heads = r.intList("attention_head_dim", fill(n, 8), n);
    }
    r.oneOf("mid_block_type", "UNetMidBlock2DCrossAttn", Set.of("UNetMidBlock2DCrossAttn"));
    r.oneOf("act_fn", "silu", Set.of("silu"));
    r.oneOf("time_embedding_type", "positional", Set.of("positional"));
    r.oneOf("resnet_time_scale_shift", "default", Set.of("default"));
    r.oneOf("attention_type", "default", Set.of("default"));
    r.requireDefault("center_input_sample", Boolean.FALSE);
    r.requireDefault("use_linear_projection", Boolean.FALSE);
    r.requireDefault("only_cross_attention", Boolean.FALSE);
    r.requireDefault("dual_cross_attention", Boolean.FALSE);
    r.requireDefault("transformer_layers_per_block", 1);
    r.requireDefault("downsample_padding", 1);
    r.requireDefault("mid_block_scale_factor", 1);
    r.requireDefault("resnet_out_scale_factor", 1.0);
    r.requireDefault("conv_in_kernel", 3);
    r.requireDefault("conv_out_kernel", 3);
    for (String k : List.of("class_embed_type", "addition_embed_type", "encoder_hid_dim", "time_cond_proj_dim",
        "time_embedding_dim", "timestep_post_act", "num_class_embeds")) {
      if (r.has(k)) {
        throw r.error(k, m.get(k), "null (this conditioning is not implemented)");
      }
    }
    List<String> down = r.stringList("down_block_types",
        List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"));
    List<String> up = r.stringList("up_block_types",
        List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"));
    for (String t : down) {
      if (!DOWN_TYPES.contains(t)) {
        throw r.error("down_block_types", "\"" + t + "\"", DOWN_TYPES.toString());
      }
    }
    for (String t : up) {
      if (!UP_TYPES.contains(t)) {
        throw r.error("up_block_types", "\"" + t + "\"", UP_TYPES.toString());
      }
    }
    try {
      return create(r, boc, heads, down, up);
    } catch (IllegalArgumentException e) {
      // the field readers' errors already name the file; the record's own checks do not
      throw new IllegalArgumentException(DiffusersConfigs.namingFile(e.getMessage(), source), e);
    }
  }

  private static UNet2DConditionConfig create(DiffusersConfigs r, int[] boc, int[] heads, List<String> down,
      List<String> up) {
    return new UNet2DConditionConfig(
        r.integer("sample_size", 64),
        r.integer("in_channels", 4),
        r.integer("out_channels", 4),
        boc,
        r.integer("layers_per_block", 2),
        down,
        up,
        heads,
        r.integer("cross_attention_dim", 768),
        r.integer("norm_num_groups", 32),
        r.number("norm_eps", 1e-5),
        r.bool("flip_sin_to_cos", true),
        r.integer("freq_shift", 0));
  }

  /** Reads {@code config.json}. */
  public static UNet2DConditionConfig load(Path configJson) throws IOException {
    Path abs = configJson.toAbsolutePath();
    return fromJson(ModelFolder.of(abs.getParent()).readJson(abs.getFileName().toString()), configJson.toString());
  }

  private static int[] fill(int n, int v) {
    int[] a = new int[n];
    Arrays.fill(a, v);
    return a;
  }

  /** diffusers' config.json content, {@code _class_name} first (round-trips through {@link #fromJson}). */
  public Map<String, Object> toJson() {
    return DiffusersConfigs.write("UNet2DConditionModel", this);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UNet2DConditionConfig c && Json.write(c.toJson()).equals(Json.write(toJson()));
  }

  @Override
  public int hashCode() {
    return Json.write(toJson()).hashCode();
  }

  @Override
  public String toString() {
    return Json.write(toJson());
  }
}
