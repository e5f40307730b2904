package org.draft4j.models.ldm;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * VAE parameter names between the LDM layout ({@code first_stage_model.} in a checkpoint) and
 * diffusers' {@code AutoencoderKL}. Pure functions of key names and the number of levels.
 *
 * <p>The rule, as diffusers' {@code convert_ldm_vae_checkpoint} and {@code conv_attn_to_linear}
 * (convert_from_ckpt.py) and its inverse {@code convert_vae_state_dict} with
 * {@code reshape_weight_for_sd} (scripts/convert_diffusers_to_original_stable_diffusion.py) define
 * it: {@code encoder.down.i.block.j} is {@code encoder.down_blocks.i.resnets.j},
 * {@code encoder.down.i.downsample} is {@code encoder.down_blocks.i.downsamplers.0};
 * {@code decoder.up.b.block.j} / {@code .upsample} are {@code decoder.up_blocks.(n-1-b).resnets.j} /
 * {@code .upsamplers.0} (LDM numbers the decoder's levels from the bottom); {@code mid.block_1/2}
 * are {@code mid_block.resnets.0/1}; {@code mid.attn_1.norm/q/k/v/proj_out} are
 * {@code mid_block.attentions.0.group_norm/to_q/to_k/to_v/to_out.0}; {@code norm_out} is
 * {@code conv_norm_out}, {@code nin_shortcut} is {@code conv_shortcut}; other names are kept. The
 * attention's q/k/v/proj_out weights are 1×1 convolutions {@code [C, C, 1, 1]} in LDM and linear
 * {@code [C, C]} in diffusers ({@link #isAttentionConv}).
 */
public final class LdmVaeKeys {
  /** The VAE's key prefix in a single-file checkpoint. */
  public static final String PREFIX = "first_stage_model.";

  private LdmVaeKeys() {}

  private static final Pattern LDM_DOWN = Pattern.compile("encoder\\.down\\.(\\d+)\\.(block\\.(\\d+)|downsample)\\.(.+)");
  private static final Pattern LDM_UP = Pattern.compile("decoder\\.up\\.(\\d+)\\.(block\\.(\\d+)|upsample)\\.(.+)");
  private static final Pattern LDM_MID = Pattern.compile("(encoder|decoder)\\.mid\\.(block_([12])|attn_1)\\.(.+)");
  private static final Pattern HF_DOWN = Pattern.compile(
      "encoder\\.down_blocks\\.(\\d+)\\.(resnets\\.(\\d+)|downsamplers\\.0)\\.(.+)");
  private static final Pattern HF_UP = Pattern.compile(
      "decoder\\.up_blocks\\.(\\d+)\\.(resnets\\.(\\d+)|upsamplers\\.0)\\.(.+)");
  private static final Pattern HF_MID = Pattern.compile(
      "(encoder|decoder)\\.mid_block\\.(resnets\\.([01])|attentions\\.0)\\.(.+)");
  private static final Set<String> TOP = Set.of("encoder.conv_in.", "encoder.conv_out.", "decoder.conv_in.",
      "decoder.conv_out.", "quant_conv.", "post_quant_conv.");
  private static final Set<String> PARAMS = Set.of("weight", "bias");
  private static final Set<String> RESNET_MODULES = Set.of("norm1", "conv1", "norm2", "conv2");
  private static final String[][] ATTENTION = {{"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"},
      {"proj_out", "to_out.0"}};

  /** The number of encoder levels of an LDM VAE's keys ({@link #PREFIX} removed): distinct {@code encoder.down.N}. */
  public static int levels(Set<String> keys) {
    TreeSet<String> s = new TreeSet<>();
    for (String k : keys) {
      Matcher m = LDM_DOWN.matcher(k);
      if (m.matches()) {
        s.add(m.group(1));
      }
    }
    return s.size();
  }

  /** The diffusers name of an LDM VAE key ({@link #PREFIX} removed) of a VAE with {@code levels} levels, or null. */
  public static String toDiffusers(String key, int levels) {
    checkArgument(levels >= 1, "levels = %s must be >= 1", levels);
    for (String t : TOP) {
      if (key.startsWith(t)) {
        return param(key.substring(t.length())) ? key : null;
      }
    }
    for (String side : new String[] {"encoder.", "decoder."}) {
      if (key.equals(side + "norm_out.weight") || key.equals(side + "norm_out.bias")) {
        return side + "conv_norm_out." + key.substring((side + "norm_out.").length());
      }
    }
    Matcher m = LDM_DOWN.matcher(key);
    if (m.matches()) {
      int i = Integer.parseInt(m.group(1));
      return i >= levels ? null : m.group(3) != null
          ? resnet("encoder.down_blocks." + i + ".resnets." + m.group(3) + ".", m.group(4), true)
          : sampler("encoder.down_blocks." + i + ".downsamplers.0.", m.group(4));
    }
    m = LDM_UP.matcher(key);
    if (m.matches()) {
      int b = Integer.parseInt(m.group(1));
      int i = levels - 1 - b;
      return i < 0 ? null : m.group(3) != null
          ? resnet("decoder.up_blocks." + i + ".resnets." + m.group(3) + ".", m.group(4), true)
          : sampler("decoder.up_blocks." + i + ".upsamplers.0.", m.group(4));
    }
    m = LDM_MID.matcher(key);
    if (m.matches()) {
      String side = m.group(1) + ".mid_block.";
      if (m.group(3) != null) {
        return resnet(side + "resnets." + (Integer.parseInt(m.group(3)) - 1) + ".", m.group(4), true);
      }
      return attention(side + "attentions.0.", m.group(4), true);
    }
    return null;
  }

  /** The LDM name ({@link #PREFIX} not included) of a diffusers VAE key of a VAE with {@code levels} levels, or null. */
  public static String toLdm(String key, int levels) {
    checkArgument(levels >= 1, "levels = %s must be >= 1", levels);
    for (String t : TOP) {
      if (key.startsWith(t)) {
        return param(key.substring(t.length())) ? key : null;
      }
    }
    for (String side : new String[] {"encoder.", "decoder."}) {
      if (key.equals(side + "conv_norm_out.weight") || key.equals(side + "conv_norm_out.bias")) {
        return side + "norm_out." + key.substring((side + "conv_norm_out.").length());
      }
    }
    Matcher m = HF_DOWN.matcher(key);
    if (m.matches()) {
      int i = Integer.parseInt(m.group(1));
      return i >= levels ? null : m.group(3) != null
          ? resnet("encoder.down." + i + ".block." + m.group(3) + ".", m.group(4), false)
          : sampler("encoder.down." + i + ".downsample.", m.group(4));
    }
    m = HF_UP.matcher(key);
    if (m.matches()) {
      int b = levels - 1 - Integer.parseInt(m.group(1));
      return b < 0 ? null : m.group(3) != null
          ? resnet("decoder.up." + b + ".block." + m.group(3) + ".", m.group(4), false)
          : sampler("decoder.up." + b + ".upsample.", m.group(4));
    }
    m = HF_MID.matcher(key);
    if (m.matches()) {
      String side = m.group(1) + ".mid.";
      if (m.group(3) != null) {
        return resnet(side + "block_" + (Integer.parseInt(m.group(3)) + 1) + ".", m.group(4), false);
      }
      return attention(side + "attn_1.", m.group(4), false);
    }
    return null;
  }

  /**
   * Whether an LDM VAE key ({@link #PREFIX} removed) is a mid-block attention q/k/v/proj_out
   * weight: {@code [C, C, 1, 1]} in LDM, {@code [C, C]} in diffusers.
   */
  public static boolean isAttentionConv(String ldmKey) {
    return ldmKey.matches("(encoder|decoder)\\.mid\\.attn_1\\.(q|k|v|proj_out)\\.weight");
  }

  /** The shape an LDM key's tensor has, given its diffusers shape ({@link #isAttentionConv} adds 1×1). */
  public static long[] ldmShape(String ldmKey, long[] diffusersShape) {
    if (!isAttentionConv(ldmKey)) {
      return diffusersShape.clone();
    }
    long[] s = Arrays.copyOf(diffusersShape, diffusersShape.length + 2);
    s[s.length - 2] = 1;
    s[s.length - 1] = 1;
    return s;
  }

  private static boolean param(String p) {
    return PARAMS.contains(p);
  }

  private static String sampler(String prefix, String rest) {
    return rest.startsWith("conv.") && param(rest.substring("conv.".length())) ? prefix + rest : null;
  }

  private static String resnet(String prefix, String rest, boolean toDiffusers) {
    int dot = rest.indexOf('.');
    if (dot < 0 || !param(rest.substring(dot + 1))) {
      return null;
    }
    String module = rest.substring(0, dot);
    String from = toDiffusers ? "nin_shortcut" : "conv_shortcut";
    String to = toDiffusers ? "conv_shortcut" : "nin_shortcut";
    if (module.equals(from)) {
      return prefix + to + rest.substring(dot);
    }
    return RESNET_MODULES.contains(module) ? prefix + rest : null;
  }

  private static String attention(String prefix, String rest, boolean toDiffusers) {
    for (String[] a : ATTENTION) {
      String from = (toDiffusers ? a[0] : a[1]) + ".";
      if (rest.startsWith(from) && param(rest.substring(from.length()))) {
        return prefix + (toDiffusers ? a[1] : a[0]) + "." + rest.substring(from.length());
      }
    }
    return null;
  }
}
