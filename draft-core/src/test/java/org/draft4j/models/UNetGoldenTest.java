package org.draft4j.models;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.draft4j.testing.Npy;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The UNet reproduces diffusers' own forward pass. Reference: shared/diffusers-golden/tiny_unet_seed0,
 * made by diffusers 0.25.1 (PyTorch 1.13, float32, CPU): UNet2DConditionModel(config.json) with
 * randn·0.05 weights, run on sample [2,4,32,32], timestep 500, encoder_hidden_states [2,77,32].
 */
class UNetGoldenTest {
  @Test
  void matchesDiffusersTinyUNet() throws Exception {
    Path dir = SharedData.require("diffusers-golden/tiny_unet_seed0");
    UNet2DConditionModel unet = UNet2DConditionModel.load(dir);
    assertEquals(1106212, unet.parameterCount(), "num_params from summary.json");
    INDArray sample = Npy.read(dir.resolve("sample.npy"));
    INDArray t = Npy.read(dir.resolve("timestep.npy"));
    INDArray ctx = Npy.read(dir.resolve("encoder_hidden_states.npy"));
    INDArray want = Npy.read(dir.resolve("output.npy"));
    UNetDenoiser d = new UNetDenoiser(unet, 32, 32, 77, ExecutionContext.shared());
    INDArray got = d.predict(sample, t, ctx);
    double maxAbs = Transforms.abs(got.sub(want)).maxNumber().doubleValue();
    double scale = Transforms.abs(want).maxNumber().doubleValue();
    assertTrue(maxAbs <= 1e-4 * scale, "max |got-want| = " + maxAbs + " vs scale " + scale);
  }
}
