package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.Json;

/**
 * diffusers' {@code AutoencoderKL} config (SD 1.x: channels 128, 256, 512, 512; 2 layers per block;
 * 4 latent channels; 32 groups; scaling_factor 0.18215).
 */
public record AutoencoderKLConfig(int inChannels, int outChannels, int[] blockOutChannels, int layersPerBlock,
    int latentChannels, int normNumGroups, int sampleSize, double scalingFactor) {
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
    ConfigReader r = new ConfigReader(m, source);
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
    return fromJson(Json.parseObject(Files.readString(configJson)), configJson.toString());
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("_class_name", "AutoencoderKL");
    m.put("in_channels", inChannels);
    m.put("out_channels", outChannels);
    m.put("down_block_types", java.util.Collections.nCopies(blockOutChannels.length, "DownEncoderBlock2D"));
    m.put("up_block_types", java.util.Collections.nCopies(blockOutChannels.length, "UpDecoderBlock2D"));
    m.put("block_out_channels", blockOutChannels.clone());
    m.put("layers_per_block", layersPerBlock);
    m.put("act_fn", "silu");
    m.put("latent_channels", latentChannels);
    m.put("norm_num_groups", normNumGroups);
    m.put("sample_size", sampleSize);
    m.put("scaling_factor", scalingFactor);
    return m;
  }
}
