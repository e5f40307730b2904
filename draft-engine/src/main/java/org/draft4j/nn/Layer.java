package org.draft4j.nn;

/**
 * A layer as adapters see it: its module name in the model's naming (for a UNet, diffusers'
 * {@code down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q}), its kind and sizes.
 *
 * @param module module name, without the {@code .weight} suffix
 * @param kind linear or convolution
 * @param in input features (channels)
 * @param out output features (channels)
 * @param kernel kernel size (1 for linear)
 */
public record Layer(String module, Kind kind, long in, long out, int kernel) {
  /** Layer kinds adapters can target. */
  public enum Kind { LINEAR, CONV }
}
