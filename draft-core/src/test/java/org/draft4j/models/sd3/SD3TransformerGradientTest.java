package org.draft4j.models.sd3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.testing.Npy;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link SD3Transformer2DGraph#vjp} against central finite differences of {@code L(x) = Σ out(x) ⊙ u}
 * through the whole tiny MMDiT (the {@code _std0.2} golden's weights, where attention matters), in
 * float32: along two random directions and at single latent entries.
 */
class SD3TransformerGradientTest {
  @Test
  void vjpMatchesFiniteDifferences() throws Exception {
    Path dir = SharedData.require("diffusers-golden/tiny_sd3_transformer_seed0_std0.2");
    SD3Transformer2DModel model = SD3Transformer2DModel.load(dir);
    INDArray x = Npy.read(dir.resolve("hidden_states.npy")).get(NDArrayIndex.interval(0, 1)).dup();
    INDArray y = Npy.read(dir.resolve("encoder_hidden_states.npy")).get(NDArrayIndex.interval(0, 1)).dup();
    INDArray yp = Npy.read(dir.resolve("pooled_projections.npy")).get(NDArrayIndex.interval(0, 1)).dup();
    INDArray t = Npy.read(dir.resolve("timestep.npy")).get(NDArrayIndex.interval(0, 1)).dup();
    Nd4j.getRandom().setSeed(7);
    INDArray u = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 16, 16, 16);
    try (SD3Transformer2DGraph g = new SD3Transformer2DGraph(model, 16, 16, 10, ExecutionContext.shared())) {
      INDArray grad = g.vjp(x, y, yp, t, u);
      assertArrayEquals(x.shape(), grad.shape());
      double h = 1e-2;
      for (int d = 0; d < 2; d++) {
        INDArray v = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, x.shape());
        double fd = (loss(g, x.add(v.mul(h)), y, yp, t, u) - loss(g, x.sub(v.mul(h)), y, yp, t, u)) / (2 * h);
        double an = grad.mul(v).sumNumber().doubleValue();
        assertEquals(fd, an, 2e-3 * Math.abs(fd) + 1e-3, "direction " + d);
        assertTrue(Math.abs(fd) > 1e-1, "direction " + d + " saw no signal: " + fd);
      }
      for (long idx : new long[] {0, 1234, 2999, 4095}) {
        INDArray xp = x.dup();
        INDArray xm = x.dup();
        xp.putScalar(idx, x.getDouble(idx) + h);
        xm.putScalar(idx, x.getDouble(idx) - h);
        double fd = (loss(g, xp, y, yp, t, u) - loss(g, xm, y, yp, t, u)) / (2 * h);
        assertEquals(fd, grad.getDouble(idx), 5e-3 * Math.abs(fd) + 2e-3, "entry " + idx);
      }
    }
  }

  private static double loss(SD3Transformer2DGraph g, INDArray x, INDArray y, INDArray yp, INDArray t, INDArray u) {
    return g.predict(x, y, yp, t).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
        .mul(u.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)).sumNumber().doubleValue();
  }
}
