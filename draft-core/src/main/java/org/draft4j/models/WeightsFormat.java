package org.draft4j.models;

import org.draft4j.io.SafetensorsDType;

/**
 * How a model's weights are written: the element type of floating tensors and the variant in the
 * file names, as diffusers' {@code save_pretrained(variant=...)} after {@code .to(torch.float16)}
 * writes them ({@code diffusion_pytorch_model.fp16.safetensors}). {@link WeightFiles} reads them back
 * with the same variant, widened to float32.
 *
 * @param dtype F32, F16 or BF16
 * @param variant null for plain file names, else letters, digits or {@code _}
 */
public record WeightsFormat(SafetensorsDType dtype, String variant) {
  /** float32 under the plain names (the default). */
  public static final WeightsFormat F32 = new WeightsFormat(SafetensorsDType.F32, null);

  /** Validates the type and the variant's characters. */
  public WeightsFormat {
    if (dtype != SafetensorsDType.F32 && dtype != SafetensorsDType.F16 && dtype != SafetensorsDType.BF16) {
      throw new IllegalArgumentException("dtype = " + dtype + ": allowed F32, F16, BF16");
    }
    WeightFiles.checkVariant(variant);
    if (variant != null && variant.isEmpty()) {
      variant = null;
    }
  }

  /** float16 weights under the {@code fp16} variant (what Hugging Face repos publish). */
  public static WeightsFormat fp16() {
    return new WeightsFormat(SafetensorsDType.F16, "fp16");
  }

  /** bfloat16 weights under the {@code bf16} variant. */
  public static WeightsFormat bf16() {
    return new WeightsFormat(SafetensorsDType.BF16, "bf16");
  }

  /** The safetensors file name for a component's stem ({@code model} → {@code model.fp16.safetensors}). */
  public String fileName(String stem) {
    return WeightFiles.withVariant(stem + ".safetensors", variant);
  }
}
