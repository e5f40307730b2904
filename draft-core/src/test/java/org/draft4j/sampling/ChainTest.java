package org.draft4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.SamplingSchedule;
import org.draft4j.spi.Span;
import org.draft4j.spi.StepPenalty;
import org.draft4j.testing.FakeDenoisers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The chain's checkpointed backward over a rule with step-varying coefficients (noise included,
 * real-valued time) equals central finite differences in double precision on the differentiable
 * toy denoiser: through the whole chain, a truncated span ending in the read-out, guidance and
 * blending decorators, and a step penalty whose reference is the model with adapters off.
 */
class ChainTest {
  private static final long[] SEEDS = {7, 8};
  private static final double H = 1e-6;

  /**
   * Every coefficient differs by step and none is trivial; time is σ = 1 − (i + ½)/n, re-noising
   * the flow's {@code σ·ε + (1 − σ)·x₀}. The rule is its own schedule.
   */
  record Affine(int n) implements StepRule, SamplingSchedule {
    @Override
    public SamplingSchedule schedule() {
      return this;
    }

    @Override
    public int numSteps() {
      return n;
    }

    @Override
    public double time(int step) {
      return 1 - (step + 0.5) / n;
    }

    @Override
    public INDArray noiseTo(INDArray x0, int step, INDArray noise) {
      return noise.mul(time(step)).addi(x0.mul(1 - time(step)));
    }

    @Override
    public StepCoefficients coefficients(int i) {
      return new StepCoefficients(1 - 0.1 * (i + 1), -0.3 - 0.05 * i, 0.2 + 0.01 * i, 0.9 - 0.02 * i, 0.4 + 0.1 * i);
    }

    @Override
    public String toString() {
      return "Affine(" + n + ")";
    }
  }

  static FakeDenoisers.Toy toy() {
    return new FakeDenoisers.Toy(Nd4j.createFromArray(new double[] {0.8, 1.2}).reshape(1, 2, 1, 1));
  }

  static Conditioning cond() {
    return new Conditioning(Nd4j.createFromArray(new double[] {0.25, -0.15}).reshape(2, 1, 1),
        Nd4j.zeros(DataType.DOUBLE, 2, 1, 1));
  }

  static Chain chain(int n, String decoration) {
    Chain c = Chain.of(new Affine(n));
    return switch (decoration) {
      case "none" -> c;
      case "cfg" -> c.guided(3.0);
      case "cfg+blend" -> c.guided(2.0).blended(BlendSchedule.linear());
      default -> throw new IllegalArgumentException(decoration);
    };
  }

  /** Central difference of {@code f} in entry {@code pos} of {@code a}. */
  static double fd(INDArray a, long[] pos, DoubleSupplier f) {
    double v = a.getDouble(pos);
    a.putScalar(pos, v + H);
    double lp = f.getAsDouble();
    a.putScalar(pos, v - H);
    double lm = f.getAsDouble();
    a.putScalar(pos, v);
    return (lp - lm) / (2 * H);
  }

  static void close(double want, double got, String what) {
    assertEquals(want, got, 1e-6 * Math.max(1, Math.abs(want)), what);
  }

  @ParameterizedTest
  @CsvSource({"4,none", "4,cfg", "3,cfg+blend"})
  void wholeChainMatchesFiniteDifferences(int n, String decoration) {
    Nd4j.getRandom().setSeed(11);
    Chain s = chain(n, decoration);
    FakeDenoisers.Toy m = toy();
    Conditioning c = cond();
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    Gradients g = s.rollout(m, c, xT, SEEDS, Span.all(n).differentiatingFrom(0)).backward(probe);
    DoubleSupplier loss = () -> s.sample(m, c, xT, SEEDS).mul(probe).sumNumber().doubleValue();
    for (int ch = 0; ch < 2; ch++) {
      long[] pos = {0, ch, 0, 0};
      close(fd(m.w, pos, loss), g.param("w").getDouble(pos), decoration + " dL/dw[" + ch + "]");
    }
    for (int i = 0; i < 5; i++) {
      long[] pos = {i % 2, (i + 1) % 2, i % 3, (i + 2) % 3};
      close(fd(xT, pos, loss), g.input().getDouble(pos), decoration + " dL/dx_T" + java.util.Arrays.toString(pos));
    }
  }

  /** A truncated span ending in x̂₀: FD of {@code probe·x̂₀} from the (constant) first differentiated state. */
  @ParameterizedTest
  @CsvSource({"5,3,2,none", "5,4,3,cfg", "4,2,1,cfg+blend"})
  void readOutThroughTheLastStepsMatchesFiniteDifferences(int n, int m, int k, String decoration) {
    Nd4j.getRandom().setSeed(12);
    Chain s = chain(n, decoration);
    FakeDenoisers.Toy toy = toy();
    Conditioning c = cond();
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    Span span = Span.of(0, m + 1).differentiatingLast(k).endingInPredictedX0();
    Gradients g = s.rollout(toy, c, xT, SEEDS, span).backward(probe);
    INDArray start = s.rollout(toy, c, xT, SEEDS, Span.of(0, m + 1 - k)).output();
    Span tail = Span.of(m + 1 - k, m + 1).endingInPredictedX0();
    DoubleSupplier loss = () -> s.rollout(toy, c, start, SEEDS, tail).output().mul(probe).sumNumber().doubleValue();
    for (int ch = 0; ch < 2; ch++) {
      long[] pos = {0, ch, 0, 0};
      close(fd(toy.w, pos, loss), g.param("w").getDouble(pos), decoration + " dL/dw[" + ch + "]");
    }
    for (int i = 0; i < 4; i++) {
      long[] pos = {i % 2, i % 2, (i + 1) % 3, i % 3};
      close(fd(start, pos, loss), g.input().getDouble(pos), decoration + " dL/dx" + java.util.Arrays.toString(pos));
    }
  }

  /**
   * A penalty {@code λ/2·Σ_i |out_i − ref_i|²} on the differentiated steps, the reference (adapters
   * off) held constant as DRaFT+ holds it: the backward equals FD of reward term plus penalty.
   */
  @Test
  void stepPenaltyWithTheAdaptersOffReferenceMatchesFiniteDifferences() {
    Nd4j.getRandom().setSeed(13);
    int n = 4;
    int k = 2;
    double lambda = 0.7;
    Chain s = chain(n, "cfg");
    FakeDenoisers.Toy m = toy();
    Conditioning c = cond();
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray start = s.rollout(m, c, xT, SEEDS, Span.of(0, n - k)).output();
    List<INDArray> refs = new ArrayList<>();
    List<Integer> stepsSeen = new ArrayList<>();
    StepPenalty penalty = (step, x, out, reference) -> {
      INDArray ref = reference.get();
      refs.add(0, ref.dup());
      stepsSeen.add(step);
      return out.sub(ref).muli(lambda);
    };
    Gradients g = s.rollout(m, c, start, SEEDS, Span.of(n - k, n).differentiatingLast(k)).backward(probe, penalty);
    assertEquals(List.of(3, 2), stepsSeen, "penalty is asked last step first");
    assertTrue(refs.get(0).sub(s.guidedOutput(m, c, start, n - k)).norm2Number().doubleValue() > 1e-3,
        "the reference is not the adapted output");
    DoubleSupplier loss = () -> {
      INDArray x = start;
      double p = 0;
      for (int i = n - k; i < n; i++) {
        INDArray d = s.guidedOutput(m, c, x, i).sub(refs.get(i - (n - k)));
        p += lambda / 2 * d.mul(d).sumNumber().doubleValue();
        x = s.rollout(m, c, x, SEEDS, Span.of(i, i + 1)).output();
      }
      return x.mul(probe).sumNumber().doubleValue() + p;
    };
    for (int ch = 0; ch < 2; ch++) {
      long[] pos = {0, ch, 0, 0};
      close(fd(m.w, pos, loss), g.param("w").getDouble(pos), "dL/dw[" + ch + "] with the penalty");
    }
    for (int i = 0; i < 4; i++) {
      long[] pos = {i % 2, (i + 1) % 2, i % 3, (i + 1) % 3};
      close(fd(start, pos, loss), g.input().getDouble(pos), "dL/dx" + java.util.Arrays.toString(pos) + " with the penalty");
    }
  }

  @Test
  void stepIsTheAffineRuleWithPerSampleNoise() {
    Chain s = chain(2, "none");
    FakeDenoisers.Toy m = toy();
    Conditioning c = cond();
    INDArray x = Nd4j.createFromArray(new double[] {0.3, -0.6, 1.1, 0.2, -0.4, 0.5, 0.0, 0.9}).reshape(2, 2, 2, 1);
    INDArray y = s.rollout(m, c, x, SEEDS, Span.of(1, 2)).output();
    StepCoefficients k = new Affine(2).coefficients(1);
    INDArray out = s.guidedOutput(m, c, x, 1);
    INDArray z = org.draft4j.spi.NoiseSource.batch(SEEDS, 0x5EED_0000L + 1, 2, 2, 1).castTo(DataType.DOUBLE);
    INDArray want = x.mul(k.a()).add(out.mul(k.b())).add(z.mul(k.c()));
    assertEquals(0.0, want.sub(y).norm2Number().doubleValue(), 1e-12);
    // sample 1 alone with its seed takes the same step: the noise is the sample's, not the batch row's
    Conditioning c1 = new Conditioning(c.cond().get(NDArrayIndex.interval(1, 2)), c.uncond().get(NDArrayIndex.interval(1, 2)));
    INDArray y1 = s.rollout(m, c1, x.get(NDArrayIndex.interval(1, 2)).dup(), new long[] {8}, Span.of(1, 2)).output();
    assertEquals(0.0, y1.sub(y.get(NDArrayIndex.interval(1, 2))).norm2Number().doubleValue(), 1e-12);
    assertEquals(1 - 1.5 / 2, s.schedule().time(1), "real-valued time");
    assertEquals("Affine(2).guided(3.0)", chain(2, "cfg").toString());
  }

  @Test
  void badSpansAndSeedsNameTheValue() {
    Chain s = chain(3, "cfg");
    INDArray x = Nd4j.zeros(DataType.DOUBLE, 2, 2, 1, 1);
    IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
        () -> s.rollout(toy(), cond(), x, SEEDS, Span.of(0, 4)));
    assertTrue(a.getMessage().contains("[0, 4) outside the sampler's [0, 3)"), a.getMessage());
    IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
        () -> s.rollout(toy(), cond(), x, new long[] {1}, Span.of(0, 3)));
    assertTrue(b.getMessage().contains("need one seed per sample (2), got 1"), b.getMessage());
    IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> s.guided(-1));
    assertTrue(g.getMessage().contains("guidance = -1.0"), g.getMessage());
  }
}
