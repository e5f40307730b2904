package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.DiffusersConfigs;

/**
 * diffusers' {@code AutoencoderKL} config (SD 1.x: channels 128, 256, 512, 512; 2 layers per block;
 * 4 latent channels; 32 groups; scaling_factor 0.18215).
 */
@JsonPropertyOrder({"in_channels", "out_channels", "down_block_types", "up_block_types", "block_out_channels",
    "layers_per_block", "act_fn", "latent_channels", "norm_num_groups", "sample_size", "scaling_factor"})
public record AutoencoderKLConfig(@JsonProperty("in_channels") int inChannels,
    @JsonProperty("out_channels") int outChannels, @JsonProperty("block_out_channels") int[] blockOutChannels,
    @JsonProperty("layers_per_block") int layersPerBlock, @JsonProperty("latent_channels") int latentChannels,
    @JsonProperty("norm_num_groups") int normNumGroups, @JsonProperty("sample_size") int sampleSize,
    @JsonProperty("scaling_factor") double scalingFactor) {
  public AutoencoderKLConfig {
    checkArgument(blockOutChannels.length >= 1, "block_out_channels must not be empty");
    for (int i = 0; i < blockOutChannels.length; i++) {
      checkArgument(blockOutChannels[i] > 0 && blockOutChannels[i] % normNumGroups == 0,
          "block_out_channels[%s] = %s must be a positive multiple of norm_num_groups = %s", i, blockOutChannels[i],
          normNumGroups);
    }
    checkArgument(layersPerBlock >= 1, "layers_per_block = %s must be >= 1", layersPerBlock);
    checkArgument(latentChannels >= 1, "latent_channels = %s must be >= 1", latentChannels);
    checkArgument(scalingFactor > 0, "scaling_factor = %s must be > 0", scalingFactor);
    blockOutChannels = blockOutChannels.clone();
  }

  @Override
  public int[] blockOutChannels() {
    return blockOutChannels.clone();
  }

  /** Image side / latent side. */
  public int downFactor() {
    return 1 << (blockOutChannels.length - 1);
  }

  public static AutoencoderKLConfig fromJson(Map<String, Object> m, String source) {
    DiffusersConfigs r = DiffusersConfigs.of(m, source);
    int[] boc = r.intList("block_out_channels", new int[] {64}, 0);
    List<String> down = r.stringList("down_block_types", java.util.Collections.nCopies(boc.length,
        "DownEncoderBlock2D"));
    List<String> up = r.stringList("up_block_types", java.util.Collections.nCopies(boc.length, "UpDecoderBlock2D"));
    for (String t : down) {
      if (!t.equals("DownEncoderBlock2D")) {
        throw r.error("down_block_types", t, "[DownEncoderBlock2D]");
      }
    }
    for (String t : up) {
      if (!t.equals("UpDecoderBlock2D")) {
        throw r.error("up_block_types", t, "[UpDecoderBlock2D]");
      }
    }
    checkArgument(down.size() == boc.length && up.size() == boc.length,
        "%s: down/up_block_types need one entry per block_out_channels entry (%s)", source, boc.length);
    r.oneOf("act_fn", "silu", Set.of("silu"));
    r.requireDefault("mid_block_add_attention", Boolean.TRUE);
    return new AutoencoderKLConfig(r.integer("in_channels", 3), r.integer("out_channels", 3), boc,
        r.integer("layers_per_block", 1), r.integer("latent_channels", 4), r.integer("norm_num_groups", 32),
        r.integer("sample_size", 32), r.number("scaling_factor", 0.18215));
  }

  public static AutoencoderKLConfig load(Path configJson) throws IOException {
    Path abs = configJson.toAbsolutePath();
    return fromJson(ModelFolder.of(abs.getParent()).readJson(abs.getFileName().toString()), configJson.toString());
  }

  /** The encoder blocks, one per level (the only type implemented; written to config files). */
  @JsonProperty("down_block_types")
  List<String> downBlockTypes() {
    return java.util.Collections.nCopies(blockOutChannels.length, "DownEncoderBlock2D");
  }

  /** The decoder blocks, one per level (the only type implemented; written to config files). */
  @JsonProperty("up_block_types")
  List<String> upBlockTypes() {
    return java.util.Collections.nCopies(blockOutChannels.length, "UpDecoderBlock2D");
  }

  /** The activation, the only one implemented (written to config files). */
  @JsonProperty("act_fn")
  String activation() {
    return "silu";
  }

  /** diffusers' config.json content, {@code _class_name} first (round-trips through {@link #fromJson}). */
  public Map<String, Object> toJson() {
    return DiffusersConfigs.write("AutoencoderKL", this);
  }
}
