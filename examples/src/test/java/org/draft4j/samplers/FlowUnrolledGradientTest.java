package org.draft4j.samplers;


import org.draft4j.sampling.StepCoefficients;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The checkpointed backward over the flow Euler rule equals the gradient SameDiff computes on one
 * graph holding all K differentiated steps unrolled ({@code x ← x + (σ_{i+1} − σ_i)·v}, UNet with
 * LoRA at model time {@code N·σ_i}, classifier-free guidance), as {@link UnrolledGradientTest} does
 * for DDIM.
 */
class FlowUnrolledGradientTest {
  @ParameterizedTest
  @CsvSource({"4,1,1.0", "4,3,3.0", "3,3,1.0"})
  void chainEqualsUnrolledGraph(int n, int k, double guidance) {
    FlowMatchSampler s = FlowMatch.steps(n, FlowMatchSchedulerConfig.sd3()).guidance(guidance);
    UnrolledChainCheck.assertChainEqualsUnrolled(s, n, k, guidance, new UnrolledChainCheck.Step() {
      @Override
      public float time(int i) {
        return s.schedule().timestep(i);
      }

      @Override
      public SDVariable next(int i, SDVariable x, SDVariable out) {
        StepCoefficients co = s.rule().coefficients(i);
        return x.mul(co.a()).add(out.mul(co.b()));
      }
    });
  }
}
