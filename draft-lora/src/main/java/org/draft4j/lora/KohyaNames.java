package org.draft4j.lora;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * kohya flattens diffusers module names by replacing '.' with '_'; this restores the dots, knowing
 * the UNet's naming (block lists, numeric indices, and the dotted leaves {@code to_out.0},
 * {@code ff.net.0.proj}, {@code ff.net.2}).
 */
final class KohyaNames {
  private static final Pattern TOKEN = Pattern.compile(
      "(down_blocks|up_blocks|mid_block|attentions|resnets|transformer_blocks|downsamplers|upsamplers"
          + "|attn1|attn2|to_q|to_k|to_v|to_out|ff|net|proj_in|proj_out|proj|conv1|conv2|conv_shortcut|conv"
          + "|time_emb_proj|norm1|norm2|norm3|norm|\\d+)(_|$)");

  private KohyaNames() {}

  static String toModule(String flat, String where) {
    StringBuilder out = new StringBuilder();
    int pos = 0;
    Matcher m = TOKEN.matcher(flat);
    while (pos < flat.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw new IllegalArgumentException(where + ": cannot map kohya name \"" + flat
            + "\" to a UNet module at \"" + flat.substring(pos) + "\"");
      }
      if (out.length() > 0) {
        out.append('.');
      }
      out.append(m.group(1));
      pos = m.end();
    }
    return out.toString();
  }
}
