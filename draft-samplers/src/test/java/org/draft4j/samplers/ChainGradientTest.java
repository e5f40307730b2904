package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.draft4j.testing.FakeDenoisers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The checkpointed backward (chained VJPs through the last K steps, CFG and eta included) equals
 * central finite differences of the sampled output, in double precision, for a differentiable toy
 * denoiser with exact VJPs.
 */
class ChainGradientTest {
  private static double loss(Sampler s, FakeDenoisers.Toy m, Conditioning c, INDArray xT, INDArray probe, int n,
      int k) {
    return s.sample(m, c, xT, new long[] {7, 8}).mul(probe).sumNumber().doubleValue();
  }

  @ParameterizedTest
  @CsvSource({"5,1,1.0,0.0", "5,3,3.0,0.5", "6,6,7.5,0.0", "4,2,1.0,1.0"})
  void chainedVjpMatchesFiniteDifferences(int n, int k, double guidance, double eta) {
    Nd4j.getRandom().setSeed(3);
    DdimSampler s = Ddim.steps(n).eta(eta).guidance(guidance);
    FakeDenoisers.Toy m = new FakeDenoisers.Toy(Nd4j.createFromArray(new double[] {0.7, 1.3}).reshape(1, 2, 1, 1));
    INDArray cond = Nd4j.createFromArray(new double[] {0.2, -0.1}).reshape(2, 1, 1);
    Conditioning c = new Conditioning(cond, Nd4j.zeros(DataType.DOUBLE, 2, 1, 1));
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);

    Trajectory r = s.rollout(m, c, xT, new long[] {7, 8}, Span.all(n).differentiatingLast(k));
    Gradients grads = r.backward(probe);

    double h = 1e-6;
    for (int ch = 0; ch < 2; ch++) {
      double w0 = m.w.getDouble(0, ch, 0, 0);
      m.w.putScalar(new long[] {0, ch, 0, 0}, w0 + h);
      double lp = loss(s, m, c, xT, probe, n, k);
      m.w.putScalar(new long[] {0, ch, 0, 0}, w0 - h);
      double lm = loss(s, m, c, xT, probe, n, k);
      m.w.putScalar(new long[] {0, ch, 0, 0}, w0);
      double fd = (lp - lm) / (2 * h);
      if (k == n) {
        double got = grads.param("w").getDouble(0, ch, 0, 0);
        assertEquals(fd, got, 1e-6 * Math.max(1, Math.abs(fd)), "dL/dw[" + ch + "] (full chain)");
      }
    }
    if (k == n) {
      // with K = T the chain is exact: also check dL/dx_T
      INDArray dxT = r.backward(probe).input();
      for (int i = 0; i < 5; i++) {
        long[] pos = {i % 2, i % 2, i % 3, (i + 1) % 3};
        double x0 = xT.getDouble(pos);
        xT.putScalar(pos, x0 + h);
        double lp = loss(s, m, c, xT, probe, n, k);
        xT.putScalar(pos, x0 - h);
        double lm = loss(s, m, c, xT, probe, n, k);
        xT.putScalar(pos, x0);
        double fd = (lp - lm) / (2 * h);
        assertEquals(fd, dxT.getDouble(pos), 1e-6 * Math.max(1, Math.abs(fd)), "dL/dx_T" + java.util.Arrays.toString(pos));
      }
    } else {
      // truncated: the gradient equals FD of the last K steps started from the (constant) state x_{n-k}
      INDArray start = s.rollout(m, c, xT, new long[] {7, 8}, Span.of(0, n - k)).output();
      for (int ch = 0; ch < 2; ch++) {
        double w0 = m.w.getDouble(0, ch, 0, 0);
        m.w.putScalar(new long[] {0, ch, 0, 0}, w0 + h);
        double lp = s.rollout(m, c, start, new long[] {7, 8}, Span.of(n - k, n)).output().mul(probe).sumNumber()
            .doubleValue();
        m.w.putScalar(new long[] {0, ch, 0, 0}, w0 - h);
        double lm = s.rollout(m, c, start, new long[] {7, 8}, Span.of(n - k, n)).output().mul(probe).sumNumber()
            .doubleValue();
        m.w.putScalar(new long[] {0, ch, 0, 0}, w0);
        double fd = (lp - lm) / (2 * h);
        assertEquals(fd, grads.param("w").getDouble(0, ch, 0, 0), 1e-6 * Math.max(1, Math.abs(fd)),
            "dL/dw[" + ch + "] through the last " + k + " steps");
      }
    }
  }

  /**
   * A span that ends in the predicted clean sample x̂₀ (ReFL's read-out) differentiates through it
   * and the steps before it: FD of {@code probe·x̂₀(x_m)} in w, with x_{m+1−k} held constant.
   */
  @ParameterizedTest
  @CsvSource({"5,2,1,3.0,0.0", "5,3,3,1.0,0.5", "4,0,1,7.5,0.0"})
  void predictedX0ReadOutMatchesFiniteDifferences(int n, int m, int k, double guidance, double eta) {
    Nd4j.getRandom().setSeed(4);
    DdimSampler s = Ddim.steps(n).eta(eta).guidance(guidance);
    FakeDenoisers.Toy toy = new FakeDenoisers.Toy(Nd4j.createFromArray(new double[] {0.9, 1.1}).reshape(1, 2, 1, 1));
    Conditioning c = new Conditioning(Nd4j.createFromArray(new double[] {0.3, -0.2}).reshape(2, 1, 1),
        Nd4j.zeros(DataType.DOUBLE, 2, 1, 1));
    INDArray xT = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 2, 3, 3);
    long[] seeds = {7, 8};
    Span span = Span.of(0, m + 1).differentiatingLast(k).endingInPredictedX0();
    Gradients grads = s.rollout(toy, c, xT, seeds, span).backward(probe);
    INDArray start = s.rollout(toy, c, xT, seeds, Span.of(0, m + 1 - k)).output();
    Span tail = Span.of(m + 1 - k, m + 1).endingInPredictedX0();
    double h = 1e-6;
    for (int ch = 0; ch < 2; ch++) {
      double w0 = toy.w.getDouble(0, ch, 0, 0);
      toy.w.putScalar(new long[] {0, ch, 0, 0}, w0 + h);
      double lp = s.rollout(toy, c, start, seeds, tail).output().mul(probe).sumNumber().doubleValue();
      toy.w.putScalar(new long[] {0, ch, 0, 0}, w0 - h);
      double lm = s.rollout(toy, c, start, seeds, tail).output().mul(probe).sumNumber().doubleValue();
      toy.w.putScalar(new long[] {0, ch, 0, 0}, w0);
      double fd = (lp - lm) / (2 * h);
      assertEquals(fd, grads.param("w").getDouble(0, ch, 0, 0), 1e-6 * Math.max(1, Math.abs(fd)),
          "dL/dw[" + ch + "] through x̂₀ at step " + m + " and " + k + " steps");
    }
    // the input gradient: dL/dx_{m+1-k}
    for (int i = 0; i < 4; i++) {
      long[] pos = {i % 2, (i + 1) % 2, i % 3, (i + 2) % 3};
      double x0 = start.getDouble(pos);
      start.putScalar(pos, x0 + h);
      double lp = s.rollout(toy, c, start, seeds, tail).output().mul(probe).sumNumber().doubleValue();
      start.putScalar(pos, x0 - h);
      double lm = s.rollout(toy, c, start, seeds, tail).output().mul(probe).sumNumber().doubleValue();
      start.putScalar(pos, x0);
      double fd = (lp - lm) / (2 * h);
      assertEquals(fd, grads.input().getDouble(pos), 1e-6 * Math.max(1, Math.abs(fd)), "dL/dx" + java.util.Arrays.toString(pos));
    }
  }
}
