package org.draft4j.lora;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.spi.Denoiser;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LoraDropoutTest {
  private static final UNet2DConditionModel UNET = TinyModels.unet(3);

  private static INDArray[] inputs() {
    Nd4j.getRandom().setSeed(1);
    return new INDArray[] {Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8), Nd4j.createFromArray(new float[] {100, 700}),
        Nd4j.randn(DataType.FLOAT, 2, 4, 8)};
  }

  private static LoraAdapter attached(UNetDenoiser d, double p) {
    LoraAdapter a = Lora.rank(2).dropout(p).create(1);
    d.attach(a);
    d.adaptedLayers();
    Nd4j.getRandom().setSeed(5);
    a.upMatrices().values().forEach(b -> b.assign(Nd4j.randn(DataType.FLOAT, b.shape()).muli(0.3)));
    return a;
  }

  @Test
  void dropoutActsOnlyInsideATrainingStepAndRepeatsWithinIt() {
    INDArray[] in = inputs();
    UNetDenoiser plain = new UNetDenoiser(UNET, 8, 8, 4, ExecutionContext.shared());
    attached(plain, 0);
    UNetDenoiser d = new UNetDenoiser(UNET, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = attached(d, 0.3);
    INDArray inference = d.predict(in[0], in[1], in[2]);
    assertEquals(plain.predict(in[0], in[1], in[2]), inference, "outside training dropout must be the identity");
    a.beginTrainingStep(42);
    INDArray first = d.predict(in[0], in[1], in[2]);
    INDArray again = d.predict(in[0], in[1], in[2]);
    a.endTrainingStep();
    assertEquals(first, again, "the same step seed must give the same mask (rollout = recomputation)");
    assertNotEquals(inference, first, "dropout changed nothing");
    a.beginTrainingStep(43);
    INDArray other = d.predict(in[0], in[1], in[2]);
    a.endTrainingStep();
    assertNotEquals(first, other, "another step seed must draw another mask");
    assertEquals(inference, d.predict(in[0], in[1], in[2]));
  }

  @Test
  void gradientUsesTheMaskOfTheForward() {
    // with dropout on, the VJP must be the gradient of the very function predict() computed: check a
    // directional derivative of <g, f(θ)> along one LoRA B against central differences
    INDArray[] in = inputs();
    UNetDenoiser d = new UNetDenoiser(UNET, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = attached(d, 0.5);
    a.beginTrainingStep(7);
    INDArray g = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
    Denoiser.Vjp v = d.vjp(in[0], in[1], in[2], g);
    String key = a.trainableParameters().keySet().stream().filter(k -> k.endsWith("lora_B.weight")).findFirst()
        .orElseThrow();
    INDArray b = a.trainableParameters().get(key);
    INDArray dir = Nd4j.rand(DataType.FLOAT, b.shape());
    double analytic = v.paramGrads().get(key).mul(dir).sumNumber().doubleValue();
    double h = 1e-2;
    b.addi(dir.mul(h));
    double plus = d.predict(in[0], in[1], in[2]).mul(g).sumNumber().doubleValue();
    b.subi(dir.mul(2 * h));
    double minus = d.predict(in[0], in[1], in[2]).mul(g).sumNumber().doubleValue();
    b.addi(dir.mul(h));
    a.endTrainingStep();
    double numeric = (plus - minus) / (2 * h);
    assertTrue(Math.abs(analytic - numeric) <= 2e-3 * Math.max(1, Math.abs(numeric)),
        "analytic " + analytic + " vs numeric " + numeric);
  }

  @Test
  void maskKeepsAboutOneMinusPAndRescales() {
    for (double p : new double[] {0.1, 0.25, 0.5}) {
      INDArray m = LoraAdapter.dropoutMask(new long[] {64, 32, 10}, 12.34f, p);
      double keep = m.gt(0).castTo(DataType.FLOAT).meanNumber().doubleValue();
      assertEquals(1 - p, keep, 0.02, "keep rate at p = " + p);
      // kept elements carry 1/(1-p): E[mask] = 1
      assertEquals(1.0, m.meanNumber().doubleValue(), 0.03);
      INDArray kept = m.gt(0).castTo(DataType.FLOAT);
      assertEquals(0.0, m.mul(1 - p).sub(kept).amaxNumber().doubleValue(), 1e-5, "mask values must be 0 or 1/(1-p)");
      INDArray other = LoraAdapter.dropoutMask(new long[] {64, 32, 10}, 13.34f, p).gt(0).castTo(DataType.FLOAT);
      double agree = kept.eq(other).castTo(DataType.FLOAT).meanNumber().doubleValue();
      // independent masks agree on p² + (1-p)² of the elements
      assertEquals(p * p + (1 - p) * (1 - p), agree, 0.03, "masks of two seeds look dependent");
    }
    assertThrows(IllegalArgumentException.class, () -> Lora.rank(2).dropout(1.0));
    assertThrows(IllegalArgumentException.class, () -> Lora.rank(2).dropout(-0.1));
    assertEquals(0.25, Lora.rank(2).dropout(0.25).create(1).config().get("dropout"));
  }
}
