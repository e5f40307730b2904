package org.draft4j.models.ldm;

/**
 * Which UNet weights to load from a checkpoint that may hold an EMA copy ({@code model_ema.*}; a
 * file has one when more than 100 keys start with {@code model_ema}, diffusers' test).
 */
public enum EmaWeights {
  /**
   * The non-EMA {@code model.diffusion_model.*} weights, EMA or not (the default: what A1111 and
   * ComfyUI run, and diffusers' {@code from_single_file} with its default {@code extract_ema=False}).
   */
  IGNORE,
  /** The EMA weights (diffusers' {@code extract_ema=True}); a file without them is refused. */
  USE,
  /** The EMA weights when the file has them, else the non-EMA ones. */
  AUTO
}
