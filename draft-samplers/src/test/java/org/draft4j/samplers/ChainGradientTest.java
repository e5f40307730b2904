package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Sampler;
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
    Sampler.Rollout r = s.rollout(m, c, xT, 0, n, n - k, new long[] {7, 8}, null);
    return r.output().mul(probe).sumNumber().doubleValue();
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

    Sampler.Rollout r = s.rollout(m, c, xT, 0, n, n - k, new long[] {7, 8}, null);
    Map<String, INDArray> grads = new HashMap<>();
    s.backward(m, c, r, probe, null, grads);

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
        double got = grads.get("w").getDouble(0, ch, 0, 0);
        assertEquals(fd, got, 1e-6 * Math.max(1, Math.abs(fd)), "dL/dw[" + ch + "] (full chain)");
      }
    }
    if (k == n) {
      // with K = T the chain is exact: also check dL/dx_T
      INDArray dxT = s.backward(m, c, r, probe, null, new HashMap<>());
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
      // truncated: the gradient equals FD of the last K steps started from the (constant) checkpoint
      INDArray start = r.checkpoints().get(0);
      for (int ch = 0; ch < 2; ch++) {
        double w0 = m.w.getDouble(0, ch, 0, 0);
        m.w.putScalar(new long[] {0, ch, 0, 0}, w0 + h);
        double lp = s.rollout(m, c, start, n - k, n, n, new long[] {7, 8}, null).output().mul(probe).sumNumber()
            .doubleValue();
        m.w.putScalar(new long[] {0, ch, 0, 0}, w0 - h);
        double lm = s.rollout(m, c, start, n - k, n, n, new long[] {7, 8}, null).output().mul(probe).sumNumber()
            .doubleValue();
        m.w.putScalar(new long[] {0, ch, 0, 0}, w0);
        double fd = (lp - lm) / (2 * h);
        assertEquals(fd, grads.get("w").getDouble(0, ch, 0, 0), 1e-6 * Math.max(1, Math.abs(fd)),
            "dL/dw[" + ch + "] through the last " + k + " steps");
      }
    }
  }
}
