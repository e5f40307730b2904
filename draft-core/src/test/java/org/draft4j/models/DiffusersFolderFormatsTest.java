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

  /** A folder whose config.json is malformed, or holds a value of the wrong type, is refused naming the file once. */
  @Test
  void aBrokenConfigIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path src = InteropFixtures.require("sd-tiny/diffusers");
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(src)) {
      for (java.nio.file.Path f : files.toList()) {
        java.nio.file.Path to = dir.resolve(src.relativize(f).toString());
        if (java.nio.file.Files.isDirectory(f)) {
          java.nio.file.Files.createDirectories(to);
        } else {
          java.nio.file.Files.copy(f, to);
        }
      }
    }
    java.nio.file.Path cfg = dir.resolve("unet/config.json");
    String good = java.nio.file.Files.readString(cfg);
    java.nio.file.Files.writeString(cfg, "{\"in_channels\": 4, oops");
    String malformed = assertThrows(IllegalArgumentException.class,
        () -> TextToImageModel.load(ModelFolder.of(dir), "x")).getMessage();
    assertTrue(malformed.startsWith(cfg + ": malformed JSON"), malformed);
    java.nio.file.Files.writeString(cfg, good.replace("\"in_channels\": 4", "\"in_channels\": \"four\""));
    String wrongType = assertThrows(IllegalArgumentException.class,
        () -> TextToImageModel.load(ModelFolder.of(dir), "x")).getMessage();
    assertEquals(cfg + ": field \"in_channels\" = four is not supported; allowed: an integer", wrongType);
  }
}
