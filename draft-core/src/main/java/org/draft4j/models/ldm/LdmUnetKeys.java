package org.draft4j.models.ldm;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.draft4j.models.UNet2DConditionConfig;

/**
 * UNet parameter names between the original CompVis/LDM layout ({@code input_blocks},
 * {@code middle_block}, {@code output_blocks}, under {@code model.diffusion_model.} in a checkpoint)
 * and diffusers' ({@code down_blocks}, {@code mid_block}, {@code up_blocks}), for the SD 1.x
 * architecture at any number of levels and layers per block. Pure functions of key names.
 *
 * <p>The rule, as diffusers' {@code convert_ldm_unet_checkpoint} (convert_from_ckpt.py) and its
 * inverse {@code convert_unet_state_dict} (scripts/convert_diffusers_to_original_stable_diffusion.py)
 * define it, with {@code L} layers per block: {@code input_blocks.0.0} is {@code conv_in};
 * {@code input_blocks.(i(L+1)+j+1).0/.1} are {@code down_blocks.i.resnets.j/attentions.j};
 * {@code input_blocks.((i+1)(L+1)).0.op} is {@code down_blocks.i.downsamplers.0.conv};
 * {@code middle_block.0/1/2} are {@code mid_block.resnets.0/attentions.0/resnets.1};
 * {@code output_blocks.(i(L+1)+j).0/.1} are {@code up_blocks.i.resnets.j/attentions.j} and the last
 * layer's next module ({@code .1} without attention, {@code .2} with) is
 * {@code up_blocks.i.upsamplers.0}; {@code time_embed.0/2} are {@code time_embedding.linear_1/2},
 * {@code out.0/2} are {@code conv_norm_out/conv_out}. Inside resnets {@code in_layers.0/2},
 * {@code out_layers.0/3}, {@code emb_layers.1}, {@code skip_connection} are {@code norm1},
 * {@code conv1}, {@code norm2}, {@code conv2}, {@code time_emb_proj}, {@code conv_shortcut};
 * attention modules keep their inner names. No tensor changes shape.
 */
public final class LdmUnetKeys {
  /** The UNet's key prefix in a single-file checkpoint. */
  public static final String PREFIX = "model.diffusion_model.";

  private LdmUnetKeys() {}

  /**
   * The block structure that fixes the key mapping: levels, resnets per down block, and which down
   * and up blocks (diffusers' order: up block 0 is the deepest) have cross-attention.
   */
  public record Layout(int levels, int layersPerBlock, List<Boolean> downAttention, List<Boolean> upAttention) {
    public Layout {
      checkArgument(levels >= 1 && layersPerBlock >= 1, "levels = %s and layers_per_block = %s must be >= 1", levels,
          layersPerBlock);
      checkArgument(downAttention.size() == levels && upAttention.size() == levels,
          "attention flags need one entry per level (%s): down %s, up %s", levels, downAttention, upAttention);
      downAttention = List.copyOf(downAttention);
      upAttention = List.copyOf(upAttention);
    }

    /** The layout of a diffusers config. */
    public static Layout of(UNet2DConditionConfig c) {
      List<Boolean> down = new ArrayList<>();
      List<Boolean> up = new ArrayList<>();
      for (int i = 0; i < c.levels(); i++) {
        down.add(c.downBlockTypes().get(i).equals("CrossAttnDownBlock2D"));
        up.add(c.upBlockTypes().get(i).equals("CrossAttnUpBlock2D"));
      }
      return new Layout(c.levels(), c.layersPerBlock(), down, up);
    }
  }

  private enum Kind {
    /** Inner names renamed as a resnet's. */
    RESNET,
    /** Inner names kept. */
    SAME,
    /** {@code op.*} (LDM) is {@code conv.*} (diffusers). */
    DOWNSAMPLER
  }

  private record Entry(String ldm, String diffusers, Kind kind) {}

  private static final String[][] RESNET_PARTS = {{"in_layers.0.", "norm1."}, {"in_layers.2.", "conv1."},
      {"out_layers.0.", "norm2."}, {"out_layers.3.", "conv2."}, {"emb_layers.1.", "time_emb_proj."},
      {"skip_connection.", "conv_shortcut."}};

  /**
   * The layout of the UNet whose LDM keys ({@link #PREFIX} removed) are {@code keys}: the number of
   * {@code input_blocks} is levels·(L+1), the first downsampler ({@code input_blocks.k.0.op}) sits at
   * k = L+1, a block with an {@code .1.proj_in} module has attention. {@code source} names the file
   * in errors.
   */
  public static Layout layout(Set<String> keys, String source) {
    TreeSet<Integer> in = blockIndices(keys, "input_blocks.");
    TreeSet<Integer> out = blockIndices(keys, "output_blocks.");
    checkArgument(!in.isEmpty() && in.first() == 0 && in.last() == in.size() - 1,
        "%s: %sinput_blocks.N are not numbered 0..n-1 (found %s)", source, PREFIX, in);
    int n = in.size();
    int step = n;
    for (int k = 1; k < n; k++) {
      if (keys.contains("input_blocks." + k + ".0.op.weight")) {
        step = k;
        break;
      }
    }
    int layers = step - 1;
    checkArgument(layers >= 1 && n % step == 0, "%s: %d input_blocks with the first downsampler at %sinput_blocks.%d"
        + ".0.op do not form levels of layers_per_block + 1 blocks", source, n, PREFIX, step);
    int levels = n / step;
    checkArgument(out.size() == n && out.first() == 0 && out.last() == n - 1,
        "%s: expected %soutput_blocks.0..%d for %d levels of %d layers (found %s)", source, PREFIX, n - 1, levels,
        layers, out);
    List<Boolean> down = new ArrayList<>();
    List<Boolean> up = new ArrayList<>();
    for (int i = 0; i < levels; i++) {
      down.add(keys.contains("input_blocks." + (i * step + 1) + ".1.proj_in.weight"));
      up.add(keys.contains("output_blocks." + (i * step) + ".1.proj_in.weight"));
    }
    return new Layout(levels, layers, down, up);
  }

  private static TreeSet<Integer> blockIndices(Set<String> keys, String prefix) {
    TreeSet<Integer> s = new TreeSet<>();
    for (String k : keys) {
      if (k.startsWith(prefix)) {
        int end = k.indexOf('.', prefix.length());
        try {
          s.add(Integer.parseInt(k.substring(prefix.length(), end < 0 ? k.length() : end)));
        } catch (NumberFormatException e) {
          s.add(-1);
        }
      }
    }
    return s;
  }

  /**
   * The key of an LDM checkpoint's EMA copy of the weight {@code fullKey} (a
   * {@code model.diffusion_model.} key): {@code "model_ema." + "".join(key.split(".")[1:])}, as
   * diffusers' {@code convert_ldm_unet_checkpoint} (extract_ema) and the LitEma module name it: the
   * name after {@code model.} with its dots removed.
   */
  public static String emaKey(String fullKey) {
    checkArgument(fullKey.startsWith("model."), "\"%s\" is not a model.* key", fullKey);
    return "model_ema." + fullKey.substring("model.".length()).replace(".", "");
  }

  /** The diffusers name of an LDM UNet key ({@link #PREFIX} removed), or null when no rule maps it. */
  public static String toDiffusers(String ldmKey, Layout layout) {
    return map(ldmKey, tables(layout).byLdm, true);
  }

  /** The LDM name ({@link #PREFIX} not included) of a diffusers UNet key, or null when no rule maps it. */
  public static String toLdm(String diffusersKey, Layout layout) {
    return map(diffusersKey, tables(layout).byDiffusers, false);
  }

  private static String map(String key, Map<String, Entry> table, boolean toDiffusers) {
    for (int i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) {
      Entry e = table.get(key.substring(0, i + 1));
      if (e == null) {
        continue;
      }
      String rest = key.substring(i + 1);
      String inner = switch (e.kind) {
        case SAME -> rest;
        case DOWNSAMPLER -> swapFirst(rest, toDiffusers ? "op." : "conv.", toDiffusers ? "conv." : "op.");
        case RESNET -> resnetInner(rest, toDiffusers);
      };
      return inner == null ? null : (toDiffusers ? e.diffusers : e.ldm) + inner;
    }
    return null;
  }

  private static String swapFirst(String rest, String from, String to) {
    return rest.startsWith(from) ? to + rest.substring(from.length()) : null;
  }

  private static String resnetInner(String rest, boolean toDiffusers) {
    for (String[] p : RESNET_PARTS) {
      String from = toDiffusers ? p[0] : p[1];
      if (rest.startsWith(from)) {
        return (toDiffusers ? p[1] : p[0]) + rest.substring(from.length());
      }
    }
    return null;
  }

  private record Tables(Map<String, Entry> byLdm, Map<String, Entry> byDiffusers) {}

  private static final Map<Layout, Tables> CACHE = Collections.synchronizedMap(new HashMap<>());

  private static Tables tables(Layout layout) {
    return CACHE.computeIfAbsent(layout, LdmUnetKeys::build);
  }

  private static Tables build(Layout l) {
    List<Entry> t = new ArrayList<>();
    t.add(new Entry("time_embed.0.", "time_embedding.linear_1.", Kind.SAME));
    t.add(new Entry("time_embed.2.", "time_embedding.linear_2.", Kind.SAME));
    t.add(new Entry("input_blocks.0.0.", "conv_in.", Kind.SAME));
    t.add(new Entry("out.0.", "conv_norm_out.", Kind.SAME));
    t.add(new Entry("out.2.", "conv_out.", Kind.SAME));
    int step = l.layersPerBlock() + 1;
    for (int i = 0; i < l.levels(); i++) {
      for (int j = 0; j < l.layersPerBlock(); j++) {
        int b = i * step + j + 1;
        t.add(new Entry("input_blocks." + b + ".0.", "down_blocks." + i + ".resnets." + j + ".", Kind.RESNET));
        if (l.downAttention().get(i)) {
          t.add(new Entry("input_blocks." + b + ".1.", "down_blocks." + i + ".attentions." + j + ".", Kind.SAME));
        }
      }
      if (i < l.levels() - 1) {
        t.add(new Entry("input_blocks." + (i + 1) * step + ".0.", "down_blocks." + i + ".downsamplers.0.",
            Kind.DOWNSAMPLER));
      }
      for (int j = 0; j < step; j++) {
        int b = i * step + j;
        t.add(new Entry("output_blocks." + b + ".0.", "up_blocks." + i + ".resnets." + j + ".", Kind.RESNET));
        if (l.upAttention().get(i)) {
          t.add(new Entry("output_blocks." + b + ".1.", "up_blocks." + i + ".attentions." + j + ".", Kind.SAME));
        }
      }
      if (i < l.levels() - 1) {
        int b = i * step + l.layersPerBlock();
        t.add(new Entry("output_blocks." + b + "." + (l.upAttention().get(i) ? 2 : 1) + ".",
            "up_blocks." + i + ".upsamplers.0.", Kind.SAME));
      }
    }
    t.add(new Entry("middle_block.0.", "mid_block.resnets.0.", Kind.RESNET));
    t.add(new Entry("middle_block.1.", "mid_block.attentions.0.", Kind.SAME));
    t.add(new Entry("middle_block.2.", "mid_block.resnets.1.", Kind.RESNET));
    Map<String, Entry> byLdm = new HashMap<>();
    Map<String, Entry> byDiffusers = new HashMap<>();
    for (Entry e : t) {
      byLdm.put(e.ldm, e);
      byDiffusers.put(e.diffusers, e);
    }
    return new Tables(Map.copyOf(byLdm), Map.copyOf(byDiffusers));
  }
}
