package org.draft4j.lora;

import java.util.List;
import java.util.regex.Pattern;
import org.draft4j.nn.Layer;

/**
 * Which layers a LoRA adapts, by module-name regular expressions over diffusers' names.
 *
 * @param patterns a layer is adapted when any pattern matches its whole module name
 * @param description for provenance
 */
public record LoraTargets(List<Pattern> patterns, String description) {
  /** The attention projections to_q, to_k, to_v, to_out.0 (the DRaFT / PEFT default). */
  public static LoraTargets attention() {
    return of("attention", ".*\\.attn[12]\\.(to_q|to_k|to_v|to_out\\.0)");
  }

  /**
   * The cross-attention projections only ({@code attn2}: to_q, to_k, to_v, to_out.0), where the
   * text conditions the image; the self-attention ({@code attn1}) is left as it is.
   */
  public static LoraTargets crossAttention() {
    return of("cross-attention", ".*\\.attn2\\.(to_q|to_k|to_v|to_out\\.0)");
  }

  /** Attention projections plus the GEGLU feed-forward (ff.net.0.proj, ff.net.2). */
  public static LoraTargets attentionAndFeedForward() {
    return of("attention+ff", ".*\\.attn[12]\\.(to_q|to_k|to_v|to_out\\.0)", ".*\\.ff\\.net\\.(0\\.proj|2)");
  }

  /** Attention, feed-forward, the transformers' 1×1 proj_in/proj_out and the ResNet 3×3 convolutions. */
  public static LoraTargets all() {
    return of("all", ".*\\.attn[12]\\.(to_q|to_k|to_v|to_out\\.0)", ".*\\.ff\\.net\\.(0\\.proj|2)",
        ".*\\.(proj_in|proj_out)", ".*\\.resnets\\.\\d+\\.(conv1|conv2)");
  }

  /** Module names matching any of the regular expressions. */
  public static LoraTargets of(String description, String... regexes) {
    return new LoraTargets(java.util.Arrays.stream(regexes).map(Pattern::compile).toList(), description);
  }

  /** Whether a layer is targeted (linear layers and convolutions). */
  public boolean matches(Layer layer) {
    for (Pattern p : patterns) {
      if (p.matcher(layer.module()).matches()) {
        return true;
      }
    }
    return false;
  }
}
