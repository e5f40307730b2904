package org.draft4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A sampling chain {@code x_T → x_0} of {@link #numSteps()} steps, step i mapping its input
 * {@code x_i} to {@code x_{i+1}} (so {@code x_0} of the paper is the state after the last step).
 * Reward fine-tuning needs one operation: {@link #rollout} runs a {@link Span} of steps without
 * gradient and returns a {@link Trajectory} that owns the backward pass of the steps the span
 * differentiates. Objectives compose spans (DRaFT-K: the last K steps; ReFL: one step read out as
 * {@code x̂₀}; DRaFT-LV: a re-noised last step via {@link #schedule()}); adding one touches no sampler.
 */
public interface Sampler {
  /** The chain's schedule: steps, timesteps and re-noising. */
  SamplingSchedule schedule();

  /** Number of steps, {@code schedule().numSteps()}. */
  default int numSteps() {
    return schedule().numSteps();
  }

  /**
   * Runs {@code span} from {@code x} (the input of step {@code span.from()}) without gradient,
   * keeping the inputs of its differentiated steps.
   *
   * @param seeds one seed per sample, for the stochastic (eta) noise of each step
   */
  Trajectory rollout(Denoiser model, Conditioning cond, INDArray x, long[] seeds, Span span);

  /**
   * Hyperparameters for provenance and resume checks, as JSON-ready values (a record's components
   * through {@code Json.mapper()}); the default records the class and its {@code toString()}.
   */
  default java.util.Map<String, Object> config() {
    return java.util.Map.of("sampler", getClass().getSimpleName(), "description", toString());
  }

  /** Full sampling {@code x_T → x_0} without gradient (evaluation and inference). */
  default INDArray sample(Denoiser model, Conditioning cond, INDArray xT, long[] seeds) {
    return rollout(model, cond, xT, seeds, Span.all(numSteps())).output();
  }
}
