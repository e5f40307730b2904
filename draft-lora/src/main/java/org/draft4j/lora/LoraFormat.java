package org.draft4j.lora;

import org.draft4j.spi.AdapterFormat;

/** LoRA file layouts. */
public enum LoraFormat implements AdapterFormat {
  /**
   * diffusers / PEFT: {@code unet.<module>.lora_A.weight} {@code [r, in]} and
   * {@code unet.<module>.lora_B.weight} {@code [out, r]}, rank and alpha in the metadata; read by
   * diffusers' {@code load_lora_weights}.
   */
  DIFFUSERS,
  /**
   * kohya-ss / sd-scripts: {@code lora_unet_<module with _>.lora_down.weight} {@code [r, in]},
   * {@code .lora_up.weight} {@code [out, r]} and a scalar {@code .alpha}.
   */
  KOHYA
}
