package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.draft4j.io.SafetensorsDType;
import org.draft4j.io.TensorStore;
import org.draft4j.testing.InteropFixtures;
import org.draft4j.testing.SdTinyReference;
import org.junit.jupiter.api.Test;

/**
 * Diffusers folders in the forms Hugging Face repos ship, written by diffusers v0.25.1 itself
 * ({@code interop/fixtures/sd-tiny}): each loads into a model whose UNet, VAE and text encoder
 * reproduce diffusers' outputs (F16/BF16 weights against outputs diffusers computed in float32 from
 * the same rounded weights).
 */
class DiffusersFolderFormatsTest {
  private static TextToImageModel load(String folder, String variant) {
    return TextToImageModel.load(ModelFolder.of(InteropFixtures.require("sd-tiny/" + folder)), folder, variant);
  }

  @Test
  void f32FolderMatchesDiffusers() {
    SdTinyReference.load("reference.safetensors").assertPipeline(load("diffusers", null), "diffusers/");
  }

  @Test
  void fp16VariantFolderMatchesDiffusersOnTheRoundedWeights() {
    TextToImageModel m = load("fp16", "fp16");
    SdTinyReference.load("reference_fp16.safetensors").assertPipeline(m, "fp16/");
    String plain = assertThrows(IllegalArgumentException.class, () -> load("fp16", null)).getMessage();
    assertTrue(plain.contains("variants present: [fp16]"), plain);
  }

  @Test
  void bf16UnetMatchesDiffusersOnTheRoundedWeights() throws Exception {
    java.nio.file.Path dir = InteropFixtures.require("sd-tiny/bf16/unet");
    try (TensorStore s = WeightFiles.open(ModelFolder.of(dir), "", WeightFiles.Naming.DIFFUSERS, null)) {
      assertEquals(SafetensorsDType.BF16, s.dtype("conv_in.weight"));
    }
    SdTinyReference ref = SdTinyReference.load("reference_bf16.safetensors");
    ref.assertClose("unet_out", SdTinyReference.load("reference.safetensors").unetOut(UNet2DConditionModel.load(dir)),
        "bf16/unet");
  }

  @Test
  void shardedFolderMatchesDiffusers() {
    SdTinyReference.load("reference.safetensors").assertPipeline(load("sharded", null), "sharded/");
  }

  @Test
  void binFolderMatchesDiffusers() {
    SdTinyReference.load("reference.safetensors").assertPipeline(load("bin", null), "bin/");
  }
}
