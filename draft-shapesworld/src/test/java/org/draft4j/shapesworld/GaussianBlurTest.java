package org.draft4j.shapesworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The blur of {@code pretrain-clip --blur-max} and of the oracle's tests: a normalized Gaussian, per channel. */
class GaussianBlurTest {
  @Test
  void keepsAFlatImageAndSpreadsAnImpulseWithVarianceSigmaSquared() {
    INDArray flat = Nd4j.valueArrayOf(new long[] {3, 32, 32}, 0.3f);
    assertEquals(0, GaussianBlur.apply(flat, 1.5).sub(flat).amaxNumber().doubleValue(), 1e-6);

    INDArray impulse = Nd4j.zeros(DataType.FLOAT, 3, 32, 32);
    impulse.putScalar(new long[] {1, 16, 16}, 1f);
    double sigma = 1.2;
    INDArray b = GaussianBlur.apply(impulse, sigma);
    assertEquals(1.0, b.sumNumber().doubleValue(), 1e-5, "mass kept");
    assertEquals(0.0, b.getDouble(0, 16, 16), 0, "channels stay apart");
    double var = 0;
    for (int x = 0; x < 32; x++) {
      for (int y = 0; y < 32; y++) {
        var += b.getDouble(1, y, x) * (x - 16) * (x - 16);
      }
    }
    // the kernel is cut at 3σ, which loses about 1% of the variance
    assertEquals(sigma * sigma, var, 0.03 * sigma * sigma);
    assertTrue(b.getDouble(1, 16, 16) < 0.2, "the peak spread out");
    assertEquals(impulse, GaussianBlur.apply(impulse, 0), "sigma 0: unchanged");
  }

  @Test
  void refusesAnImageThatIsNotChannelsHeightWidth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GaussianBlur.apply(Nd4j.zeros(DataType.FLOAT, 1, 3, 8, 8), 1));
    assertTrue(e.getMessage().contains("[C, H, W]"), e.getMessage());
  }
}
