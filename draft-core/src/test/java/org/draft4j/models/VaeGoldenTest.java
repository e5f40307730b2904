package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.draft4j.testing.Npy;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The VAE reproduces diffusers' AutoencoderKL (shared/diffusers-golden/tiny_vae_seed0, diffusers 0.25.1,
 * float32): {@code vae.decode(latents).sample} and {@code vae.quant_conv(vae.encoder(image))}.
 */
class VaeGoldenTest {
  static void close(INDArray want, INDArray got, String what) {
    double maxAbs = Transforms.abs(got.sub(want)).maxNumber().doubleValue();
    double scale = Transforms.abs(want).maxNumber().doubleValue();
    assertTrue(maxAbs <= 1e-4 * scale, what + ": max |got-want| = " + maxAbs + " vs scale " + scale);
  }

  @Test
  void decoderAndEncoderMatchDiffusers() throws Exception {
    Path dir = SharedData.require("diffusers-golden/tiny_vae_seed0");
    AutoencoderKL vae = AutoencoderKL.load(dir);
    assertEquals(658375, vae.parameters().count(), "num_params from summary.json");
    close(Npy.read(dir.resolve("decoded.npy")), vae.decode(Npy.read(dir.resolve("latents.npy"))), "decode");
    close(Npy.read(dir.resolve("moments.npy")), vae.encode(Npy.read(dir.resolve("image.npy"))), "encode");
  }
}
