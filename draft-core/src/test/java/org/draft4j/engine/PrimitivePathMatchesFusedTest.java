package org.draft4j.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.spi.NoiseSource;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The primitive-ops path ({@link ExecutionOptions#fusedOps()} off: what a CUDA backend runs, since
 * fused Java kernels read host memory) computes what the fused path computes: forward and VJP of a
 * UNet denoiser agree within {@code 1e-5·max(1, max|a|)}, and the primitive graph holds none of the
 * fused ops.
 */
class PrimitivePathMatchesFusedTest {
  private static final INDArray X = NoiseSource.batch(new long[] {7, 8}, 1, 3, 8, 8);
  private static final INDArray T = Nd4j.createFromArray(new float[] {30, 900});
  private static final INDArray C = NoiseSource.batch(new long[] {9, 10}, 2, 1, 4, 8).reshape(2, 4, 8);

  @Test
  void denoiserAgreesWithinOneInOneHundredThousand() {
    UNet2DConditionModel unet = TinyModels.unet(4);
    ExecutionOptions base = ExecutionContext.defaultOptions().withFusedOps(true);
    try (ExecutionContext fused = ExecutionContext.create(base);
        ExecutionContext primitive = ExecutionContext.create(base.withFusedOps(false));
        UNetDenoiser df = new UNetDenoiser(unet, 8, 8, 4, fused);
        UNetDenoiser dp = new UNetDenoiser(unet, 8, 8, 4, primitive)) {
      assertTrue(fused.fusedOps());
      assertFalse(primitive.fusedOps());
      EngineMatchesSameDiffTest.assertDenoisersAgree(df, dp, X, T, C, 1e-5);
      assertTrue(df.graph().getOps().values().stream().anyMatch(o -> o.getOp() instanceof org.draft4j.engine.ops.FusedOp),
          "the fused graph has fused ops");
      assertTrue(dp.graph().getOps().values().stream().noneMatch(o -> o.getOp() instanceof org.draft4j.engine.ops.FusedOp),
          "the primitive graph has no fused op");
    }
  }
}
