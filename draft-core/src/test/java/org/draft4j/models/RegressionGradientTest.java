package org.draft4j.models;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.draft4j.spi.Denoiser;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The one-pass regression gradient equals predict-then-VJP with the squared error's cotangent. */
class RegressionGradientTest {
  @Test
  void equalsTheVjpOfTheSquaredError() {
    UNet2DConditionModel unet = TinyModels.unet(3);
    Nd4j.getRandom().setSeed(5);
    INDArray x = Nd4j.randn(DataType.FLOAT, 3, 3, 8, 8);
    INDArray t = Nd4j.createFromArray(new float[] {10, 500, 990});
    INDArray ctx = Nd4j.randn(DataType.FLOAT, 3, 4, 8);
    INDArray target = Nd4j.randn(DataType.FLOAT, 3, 3, 8, 8);
    INDArray w = Nd4j.createFromArray(new float[] {0.5f, 1f, 2f});
    try (UNetDenoiser den = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared())) {
      den.setBaseTrainable(true);
      UNetDenoiser.Regression r = den.regression(x, t, ctx, target, w);
      INDArray out = den.predict(x, t, ctx);
      INDArray d = out.sub(target);
      INDArray e = d.mul(d).sum(1, 2, 3);
      assertTrue(Transforms.abs(e.sub(r.squaredErrors())).maxNumber().doubleValue() < 1e-4 * e.maxNumber().doubleValue());
      // dL/dout = 2·w_b·(out − target)
      INDArray u = d.mul(2).reshape(3, 192).mulColumnVector(w.reshape(3, 1)).reshape(3, 3, 8, 8);
      Denoiser.Vjp v = den.vjp(x, t, ctx, u);
      double scale = 0;
      double diff = 0;
      for (Map.Entry<String, INDArray> g : v.paramGrads().entrySet()) {
        scale = Math.max(scale, Transforms.abs(g.getValue()).maxNumber().doubleValue());
        diff = Math.max(diff, Transforms.abs(g.getValue().sub(r.paramGrads().get(g.getKey()))).maxNumber().doubleValue());
      }
      assertEquals(v.paramGrads().keySet(), r.paramGrads().keySet());
      assertTrue(scale > 0 && diff / scale < 1e-4, "max |Δgrad| / max |grad| = " + diff / scale);
    }
  }

  @Test
  void twoWorkersAddUpToOne() {
    UNet2DConditionModel unet = TinyModels.unet(4);
    Nd4j.getRandom().setSeed(6);
    INDArray x = Nd4j.randn(DataType.FLOAT, 4, 3, 8, 8);
    INDArray t = Nd4j.createFromArray(new float[] {1, 300, 600, 999});
    INDArray ctx = Nd4j.randn(DataType.FLOAT, 4, 4, 8);
    INDArray target = Nd4j.randn(DataType.FLOAT, 4, 3, 8, 8);
    INDArray w = Nd4j.createFromArray(new float[] {1f, 1f, 0.5f, 0.25f});
    try (org.draft4j.engine.ExecutionContext two = org.draft4j.engine.ExecutionContext.create(
            org.draft4j.engine.ExecutionContext.defaultOptions().withThreads(2));
        UNetDenoiser a = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
        UNetDenoiser b = new UNetDenoiser(unet, 8, 8, 4, two)) {
      a.setBaseTrainable(true);
      b.setBaseTrainable(true);
      UNetDenoiser.Regression ra = a.regression(x, t, ctx, target, w);
      UNetDenoiser.Regression rb = b.regression(x, t, ctx, target, w);
      assertTrue(Transforms.abs(ra.squaredErrors().sub(rb.squaredErrors())).maxNumber().doubleValue()
          < 1e-4 * ra.squaredErrors().maxNumber().doubleValue());
      for (String k : ra.paramGrads().keySet()) {
        double scale = Transforms.abs(ra.paramGrads().get(k)).maxNumber().doubleValue();
        double d = Transforms.abs(ra.paramGrads().get(k).sub(rb.paramGrads().get(k))).maxNumber().doubleValue();
        assertTrue(d <= 1e-4 * Math.max(scale, 1e-6), k + ": " + d + " vs " + scale);
      }
    }
  }
}
