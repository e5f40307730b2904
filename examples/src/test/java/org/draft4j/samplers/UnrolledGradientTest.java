package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.Objectives;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The checkpointed backward (recomputed steps, chained VJPs) equals the gradient SameDiff computes on
 * one graph holding all K differentiated steps unrolled (UNet with LoRA, DDIM coefficients, CFG).
 */
class UnrolledGradientTest {
  @ParameterizedTest
  @CsvSource({"4,1,1.0", "4,3,3.0", "3,3,1.0"})
  void chainEqualsUnrolledGraph(int n, int k, double guidance) {
    DdimSampler s = Ddim.steps(n).eta(0).guidance(guidance);
    UnrolledChainCheck.assertChainEqualsUnrolled(s, n, k, guidance, new UnrolledChainCheck.Step() {
      @Override
      public float time(int i) {
        return s.timestep(i);
      }

      @Override
      public SDVariable next(int i, SDVariable x, SDVariable out) {
        int t = s.timestep(i);
        DdimScheduler.Coefficients co = s.scheduler().coefficients(t, s.scheduler().prevTimestep(t, n), 0);
        return x.mul(co.cx()).add(out.mul(co.co()));
      }
    });
  }

  @Test
  void nanModelOutputAndTooLargeKNameTheValue() {
    Denoiser nan = org.draft4j.testing.FakeDenoisers.predicting(
        (x, t, ctx) -> Nd4j.valueArrayOf(x.shape(), Float.NaN, DataType.FLOAT));
    Conditioning c = new Conditioning(Nd4j.zeros(DataType.FLOAT, 1, 4, 8), null);
    ArithmeticException e = assertThrows(ArithmeticException.class,
        () -> Ddim.steps(5).sample(nan, c, Nd4j.zeros(DataType.FLOAT, 1, 3, 8, 8), new long[] {0}, null));
    assertTrue(e.getMessage().contains("step 0 (timestep 801)") && e.getMessage().contains("NaN"), e.getMessage());
    IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
        () -> Objectives.draftK(7).compute(new ObjectiveContext(nan, Ddim.steps(5), c, null, List.of("x"),
            Nd4j.zeros(DataType.FLOAT, 1, 3, 8, 8), new long[] {0}, new SplittableRandom(0))));
    assertTrue(k.getMessage().contains("K = 7 exceeds the sampler's 5 steps"), k.getMessage());
  }
}
