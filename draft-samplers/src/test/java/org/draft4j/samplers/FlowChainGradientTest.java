package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.DoubleSupplier;
import org.draft4j.sampling.StepCoefficients;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.draft4j.testing.FakeDenoisers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The chain's checkpointed backward over the flow Euler rule (deterministic and stochastic, static
 * and dynamic shift, classifier-free guidance, embedded guidance) equals central finite
 * differences of the sampled output, in double precision, on the differentiable toy denoiser.
 */
class FlowChainGradientTest {
  static final long[] SEEDS = {7, 8};
  static final double H = 1e-6;

  static FlowMatchSampler sampler(String kind, int n, double guidance) {
    FlowMatchSampler s = switch (kind) {
      case "sd3" -> FlowMatch.steps(n, FlowMatchSchedulerConfig.sd3());
      case "flux" -> FlowMatch.steps(n, FlowMatchSchedulerConfig.flux(), 1.15).sigmas(FlowMatchEulerScheduler
          .fluxSigmas(n));
      case "stochastic" -> FlowMatch.steps(n, FlowMatchSchedulerConfig.sd3().withStochasticSampling(true));
      case "terminal" -> FlowMatch.steps(n, FlowMatchSchedulerConfig.sd3().withShiftTerminal(0.1));
      default -> throw new IllegalArgumentException(kind);
    };
    return s.guidance(guidance);
  }

  static Conditioning cond(double a, double b) {
    return new Conditioning(Nd4j.createFromArray(new double[] {a, b}).reshape(2, 1, 1),
        Nd4j.zeros(DataType.DOUBLE, 2, 1, 1));
  }

  static double fd(INDArray param, long[] pos, DoubleSupplier loss) {
    double w0 = param.getDouble(pos);
    param.putScalar(pos, w0 + H);
    double lp = loss.getAsDouble();
    param.putScalar(pos, w0 - H);
    double lm = loss.getAsDouble();
    param.putScalar(pos, w0);
    return (lp - lm) / (2 * H);
  }

  static void near(double want, double got, String what) {
    assertEquals(want, got, 1e-6 * Math.max(1, Math.abs(want)), what);
  }

  static double dot(INDArray a, INDArray b) {
    return a.mul(b).sumNumber().doubleValue();
  }

  /**
   * Through the last k of n steps: {@code dL/dw} against FD of the tail rollout from the (constant)
   * state {@code x_{n−k}}, and {@code dL/dx_{n−k}}; with k = n that is the whole chain from x_T.
   */
  @ParameterizedTest
  @CsvSource({"sd3,5,5,1.0", "sd3,5,2,4.0", "flux,4,4,3.5", "stochastic,5,5,2.0", "stochastic,5,3,1.0",
      "terminal,4,4,7.0"})
  void chainedVjpMatchesFiniteDifferences(String kind, int n, int k, double guidance) {
    Nd4j.getRandom().setSeed(3);
    FlowMatchSampler s = sampler(kind, n, guidance);
    FakeDenoisers.Toy m = new FakeDenoisers.Toy(Nd4j.createFromArray(new double[] {0.7, 1.3}).reshape(1, 2, 1, 1));
    Conditioning c = cond(0.2, -0.1);
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    Trajectory r = s.rollout(m, c, xT, SEEDS, Span.all(n).differentiatingLast(k));
    Gradients grads = r.backward(probe);
    INDArray start = k == n ? xT : s.rollout(m, c, xT, SEEDS, Span.of(0, n - k)).output();
    DoubleSupplier tail = () -> dot(s.rollout(m, c, start, SEEDS, Span.of(n - k, n)).output(), probe);
    near(dot(r.output(), probe), tail.getAsDouble(), "the rollout is the tail from x_{n-k}");
    for (int ch = 0; ch < 2; ch++) {
      long[] pos = {0, ch, 0, 0};
      near(fd(m.w, pos, tail), grads.param("w").getDouble(pos), kind + " dL/dw[" + ch + "] through " + k + " steps");
    }
    for (int i = 0; i < 5; i++) {
      long[] pos = {i % 2, (i + 1) % 2, i % 3, (i + 2) % 3};
      near(fd(start, pos, tail), grads.input().getDouble(pos), kind + " dL/dx" + java.util.Arrays.toString(pos));
    }
  }

  /** ReFL's read-out x̂₀ = x − σ·v at step m, through k steps before it. */
  @ParameterizedTest
  @CsvSource({"sd3,5,2,1,3.0", "sd3,5,3,3,1.0", "stochastic,4,2,2,2.0", "flux,4,0,1,1.0"})
  void predictedX0ReadOutMatchesFiniteDifferences(String kind, int n, int m, int k, double guidance) {
    Nd4j.getRandom().setSeed(4);
    FlowMatchSampler s = sampler(kind, n, guidance);
    FakeDenoisers.Toy toy = new FakeDenoisers.Toy(Nd4j.createFromArray(new double[] {0.9, 1.1}).reshape(1, 2, 1, 1));
    Conditioning c = cond(0.3, -0.2);
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    Gradients grads = s.rollout(toy, c, xT, SEEDS, Span.of(0, m + 1).differentiatingLast(k).endingInPredictedX0())
        .backward(probe);
    INDArray start = s.rollout(toy, c, xT, SEEDS, Span.of(0, m + 1 - k)).output();
    Span tailSpan = Span.of(m + 1 - k, m + 1).endingInPredictedX0();
    DoubleSupplier tail = () -> dot(s.rollout(toy, c, start, SEEDS, tailSpan).output(), probe);
    for (int ch = 0; ch < 2; ch++) {
      long[] pos = {0, ch, 0, 0};
      near(fd(toy.w, pos, tail), grads.param("w").getDouble(pos), "dL/dw[" + ch + "] through x̂₀ at step " + m);
    }
    for (int i = 0; i < 4; i++) {
      long[] pos = {i % 2, (i + 1) % 2, i % 3, (i + 2) % 3};
      near(fd(start, pos, tail), grads.input().getDouble(pos), "dL/dx" + java.util.Arrays.toString(pos));
    }
    // the read-out is x − σ_m·v: the last step of a 1-step tail from the same state
    FlowMatchSchedule sch = s.schedule();
    INDArray x = s.rollout(toy, c, start, SEEDS, Span.of(m + 1 - k, m)).output();
    INDArray want = x.sub(s.guidedOutput(toy, c, x, m).mul(sch.sigma(m)));
    INDArray got = s.rollout(toy, c, x, SEEDS, Span.of(m, m + 1).endingInPredictedX0()).output();
    assertTrue(Transforms.abs(want.sub(got)).maxNumber().doubleValue() < 1e-12, "x̂₀ = x − σ·v");
  }

  /** The stochastic step's deterministic part is diffusers': the rule's affine map equals the scheduler's step. */
  @Test
  void stochasticRuleEqualsTheSchedulersStochasticStep() {
    Nd4j.getRandom().setSeed(5);
    FlowMatchEulerScheduler sch = new FlowMatchEulerScheduler(FlowMatchSchedulerConfig.sd3()
        .withStochasticSampling(true));
    FlowMatchSchedule schedule = sch.setTimesteps(6);
    FlowEulerRule rule = new FlowEulerRule(schedule, true);
    FlowEulerRule euler = new FlowEulerRule(schedule, false);
    for (int i = 0; i < 6; i++) {
      INDArray x = Nd4j.randn(DataType.FLOAT, 1, 2, 3, 3);
      INDArray v = Nd4j.randn(DataType.FLOAT, 1, 2, 3, 3);
      INDArray z = Nd4j.randn(DataType.FLOAT, 1, 2, 3, 3);
      StepCoefficients k = rule.coefficients(i);
      INDArray got = rule.advance(i, k, x, v, k.c() != 0 ? z : null);
      INDArray want = sch.stochasticStep(schedule, i, v, x, z);
      assertTrue(Transforms.abs(got.sub(want)).maxNumber().doubleValue() < 1e-5, "stochastic step " + i);
      assertEquals(i == 5, k.c() == 0, "only the last step (to sigma 0) draws no noise");
      INDArray eulerGot = euler.advance(i, euler.coefficients(i), x, v, null);
      assertTrue(Transforms.abs(eulerGot.sub(sch.step(schedule, i, v, x))).maxNumber().doubleValue() < 1e-6,
          "Euler step " + i);
    }
  }

  /** A guidance-distilled toy: {@code f(x, t, c, g) = (1 + 0.1·g)·toy(x, t, c)}. */
  static final class Distilled implements GuidanceEmbeddedDenoiser {
    final FakeDenoisers.Toy toy;
    double seen = Double.NaN;

    Distilled(FakeDenoisers.Toy toy) {
      this.toy = toy;
    }

    private double factor(INDArray g) {
      seen = g.getDouble(0);
      assertEquals(seen, g.maxNumber().doubleValue(), 0, "one scale per sample");
      return 1 + 0.1 * seen;
    }

    @Override
    public INDArray predict(INDArray x, INDArray t, INDArray ctx, INDArray g) {
      return toy.predict(x, t, ctx).mul(factor(g));
    }

    @Override
    public Vjp vjp(INDArray x, INDArray t, INDArray ctx, INDArray g, INDArray u) {
      return toy.vjp(x, t, ctx, u.mul(factor(g)));
    }

    @Override
    public INDArray predict(INDArray x, INDArray t, INDArray ctx) {
      return toy.predict(x, t, ctx);
    }

    @Override
    public Vjp vjp(INDArray x, INDArray t, INDArray ctx, INDArray u) {
      return toy.vjp(x, t, ctx, u);
    }

    @Override
    public Map<String, INDArray> trainableParameters() {
      return toy.trainableParameters();
    }

    @Override
    public boolean setAdaptersEnabled(boolean enabled) {
      return toy.setAdaptersEnabled(enabled);
    }
  }

  @Test
  void embeddedGuidanceIsAnInputOfTheModelAndDifferentiates() {
    Nd4j.getRandom().setSeed(6);
    FlowMatchSampler s = FlowMatch.steps(4, FlowMatchSchedulerConfig.flux(), 0.8).guidance(1.0).embeddedGuidance(3.5);
    FakeDenoisers.Toy toy = new FakeDenoisers.Toy(Nd4j.createFromArray(new double[] {0.8, 1.2}).reshape(1, 2, 1, 1));
    Distilled m = new Distilled(toy);
    Conditioning c = new Conditioning(Nd4j.createFromArray(new double[] {0.1, 0.4}).reshape(2, 1, 1), null);
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    Trajectory r = s.rollout(m, c, xT, SEEDS, Span.all(4).differentiatingLast(4));
    assertEquals(3.5, m.seen, 1e-6, "the model was fed the scale");
    INDArray plain = FlowMatch.steps(4, FlowMatchSchedulerConfig.flux(), 0.8).guidance(1.0).sample(m, c, xT, SEEDS);
    assertTrue(Transforms.abs(plain.sub(r.output())).maxNumber().doubleValue() > 1e-3, "the scale changes the sample");
    Gradients grads = r.backward(probe);
    DoubleSupplier loss = () -> dot(s.sample(m, c, xT, SEEDS), probe);
    for (int ch = 0; ch < 2; ch++) {
      long[] pos = {0, ch, 0, 0};
      near(fd(toy.w, pos, loss), grads.param("w").getDouble(pos), "dL/dw[" + ch + "] with embedded guidance");
    }
    long[] pos = {1, 0, 2, 1};
    near(fd(xT, pos, loss), grads.input().getDouble(pos), "dL/dx_T with embedded guidance");
    IllegalArgumentException plainModel = assertThrows(IllegalArgumentException.class,
        () -> s.sample(toy, c, xT, SEEDS));
    assertTrue(plainModel.getMessage().contains("needs a guidance-distilled model")
        && plainModel.getMessage().contains("FakeDenoisers$Toy"), plainModel.getMessage());
  }

  @Test
  void guidanceOneIsOneModelCallAndGuidanceDoublesTheBatch() {
    int[] calls = new int[2];
    Denoiser counting = FakeDenoisers.predicting((x, t, ctx) -> {
      calls[0]++;
      calls[1] += (int) x.size(0);
      return x.mul(0.5);
    });
    Conditioning c = new Conditioning(Nd4j.ones(DataType.FLOAT, 2, 1, 1), Nd4j.zeros(DataType.FLOAT, 2, 1, 1));
    INDArray xT = Nd4j.ones(DataType.FLOAT, 2, 1, 2, 2);
    FlowMatch.steps(3).guidance(1.0).sample(counting, c, xT, SEEDS);
    assertEquals(3, calls[0]);
    assertEquals(6, calls[1]);
    FlowMatch.steps(3).guidance(5.0).sample(counting, c, xT, SEEDS);
    assertEquals(6, calls[0]);
    assertEquals(6 + 12, calls[1]);
  }
}
