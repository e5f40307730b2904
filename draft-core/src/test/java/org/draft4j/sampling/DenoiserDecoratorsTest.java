package org.draft4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.testing.FakeDenoisers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Classifier-free guidance and annealed importance guidance as denoisers: their outputs are the
 * formulas on the inner model's, and their VJPs equal central finite differences of their
 * outputs in double precision, in the input and in the adapter parameter.
 */
class DenoiserDecoratorsTest {
  private static final INDArray CTX = Nd4j.createFromArray(new double[] {0.3, -0.2}).reshape(2, 1, 1);
  private static final INDArray UNCOND = Nd4j.zeros(DataType.DOUBLE, 2, 1, 1);
  private static final INDArray T = Nd4j.createFromArray(new float[] {500, 500});

  static FakeDenoisers.Toy toy() {
    return new FakeDenoisers.Toy(Nd4j.createFromArray(new double[] {0.6, 1.4}).reshape(1, 2, 1, 1));
  }

  /** Checks {@code vjp(u)} of {@code d} against FD of {@code u·d(x)} in x (some entries) and in toy.w. */
  static void checkVjp(Denoiser d, FakeDenoisers.Toy toy, String what) {
    Nd4j.getRandom().setSeed(21);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 2, 2, 2);
    INDArray u = Nd4j.randn(DataType.DOUBLE, 2, 2, 2, 2);
    Denoiser.Vjp v = d.vjp(x, T, CTX, u);
    java.util.function.DoubleSupplier f = () -> d.predict(x, T, CTX).mul(u).sumNumber().doubleValue();
    for (int i = 0; i < 6; i++) {
      long[] pos = {i % 2, (i / 2) % 2, i % 2, (i + 1) % 2};
      double fd = ChainTest.fd(x, pos, f);
      ChainTest.close(fd, v.sampleGrad().getDouble(pos), what + " dx" + java.util.Arrays.toString(pos));
    }
    for (int ch = 0; ch < 2; ch++) {
      long[] pos = {0, ch, 0, 0};
      double fd = ChainTest.fd(toy.w, pos, f);
      INDArray gw = v.paramGrads().get("w");
      ChainTest.close(fd, gw == null ? 0 : gw.getDouble(pos), what + " dw[" + ch + "]");
    }
  }

  @ParameterizedTest
  @CsvSource({"0.0", "1.0", "3.5"})
  void guidanceIsTheFormulaAndItsVjpMatchesFiniteDifferences(double scale) {
    FakeDenoisers.Toy toy = toy();
    ClassifierFreeGuidance g = new ClassifierFreeGuidance(toy, scale, UNCOND);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 2, 2, 2);
    INDArray ou = toy.predict(x, T, UNCOND);
    INDArray want = ou.add(toy.predict(x, T, CTX).sub(ou).mul(scale));
    assertEquals(0.0, want.sub(g.predict(x, T, CTX)).norm2Number().doubleValue(), 1e-12);
    checkVjp(g, toy, "guidance " + scale);
  }

  @ParameterizedTest
  @CsvSource({"0.0", "0.3", "1.0"})
  void blendingIsTheFormulaAndItsVjpMatchesFiniteDifferences(double w) {
    FakeDenoisers.Toy toy = toy();
    Denoiser guided = new ClassifierFreeGuidance(toy, 2.0, UNCOND);
    AnnealedGuidance a = new AnnealedGuidance(guided, w);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 2, 2, 2);
    INDArray adapted = guided.predict(x, T, CTX);
    toy.setAdaptersEnabled(false);
    INDArray base = guided.predict(x, T, CTX);
    toy.setAdaptersEnabled(true);
    INDArray want = base.mul(1 - w).add(adapted.mul(w));
    assertEquals(0.0, want.sub(a.predict(x, T, CTX)).norm2Number().doubleValue(), 1e-12);
    assertTrue(toy.setAdaptersEnabled(true), "adapters are back on after blending");
    checkVjp(a, toy, "blend " + w);
  }

  @Test
  void decoratorsLeaveWhatTheyNeedNotTouch() {
    FakeDenoisers.Toy toy = toy();
    DenoiserDecorator cfg = ClassifierFreeGuidance.decorator(7.5);
    assertSame(toy, cfg.decorate(toy, new Conditioning(CTX, null), 0, 4), "no unconditional embeddings");
    assertSame(toy, ClassifierFreeGuidance.decorator(1.0).decorate(toy, new Conditioning(CTX, UNCOND), 0, 4));
    assertTrue(cfg.decorate(toy, new Conditioning(CTX, UNCOND), 0, 4) instanceof ClassifierFreeGuidance);
    DenoiserDecorator blend = AnnealedGuidance.decorator(BlendSchedule.linear());
    assertEquals(0.75, ((AnnealedGuidance) blend.decorate(toy, new Conditioning(CTX, UNCOND), 3, 4)).weight());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AnnealedGuidance.decorator((i, n) -> Double.NaN).decorate(toy, new Conditioning(CTX, UNCOND), 2, 4));
    assertTrue(e.getMessage().contains("blend weight NaN at step 2"), e.getMessage());
  }
}
