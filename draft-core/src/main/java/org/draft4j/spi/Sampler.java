package org.draft4j.spi;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A sampling chain {@code x_T → x_0} of {@link #numSteps()} steps, step i mapping its input
 * {@code x_i} to {@code x_{i+1}} (so {@code x_0} of the paper is the state after the last step),
 * with the pieces reward fine-tuning needs: a no-gradient rollout that keeps checkpoints, and a
 * backward pass that recomputes each kept step and chains vector-Jacobian products, so memory does
 * not grow with the number of differentiated steps.
 */
public interface Sampler {
  /** Number of steps. */
  int numSteps();

  /** Model timestep used at step i (0 ≤ i < numSteps). */
  int timestep(int step);

  /**
   * Runs steps {@code [from, to)} without gradient from {@code x}, keeping the inputs of steps
   * {@code [keepFrom, to)} as checkpoints.
   *
   * @param seeds one seed per sample, for the stochastic (eta) noise of each step
   * @param listener called after each step (progress); may be null
   */
  Rollout rollout(Denoiser model, Conditioning cond, INDArray x, int from, int to, int keepFrom, long[] seeds,
      StepListener listener);

  /**
   * Backpropagates through the kept steps of a rollout, last to first: given {@code dL/dx_to} it
   * returns {@code dL/dx_keepFrom} and adds {@code dL/dθ} into {@code paramGrads}. A penalty, when
   * given, adds its own cotangent on each kept step's guided model output (DRaFT+'s KL term).
   */
  INDArray backward(Denoiser model, Conditioning cond, Rollout rollout, INDArray gradOut, StepPenalty penalty,
      Map<String, INDArray> paramGrads);

  /**
   * {@code x̂_0} predicted in one step from the input of step i (ReFL), with its backward: returns the
   * prediction and, given {@code dL/dx̂_0}, the gradient through {@link #backwardPredictX0}.
   */
  INDArray predictX0(Denoiser model, Conditioning cond, INDArray x, int step);

  /** Backward of {@link #predictX0}: returns {@code dL/dx} and adds {@code dL/dθ} into paramGrads. */
  INDArray backwardPredictX0(Denoiser model, Conditioning cond, INDArray x, int step, INDArray gradX0,
      Map<String, INDArray> paramGrads);

  /** Forward-noises a clean sample to the noise level of step i's input: {@code √ᾱ_t x_0 + √(1-ᾱ_t) ε}. */
  INDArray noiseTo(INDArray x0, int step, INDArray noise);

  /** The checkpoints of a rollout. */
  record Rollout(int keepFrom, List<INDArray> checkpoints, INDArray output, long[] seeds) {}

  /** Progress of a rollout. */
  @FunctionalInterface
  interface StepListener {
    void onStep(int step, int numSteps);
  }

  /** A per-step regularizer on the guided model output of the differentiated steps. */
  interface StepPenalty {
    /**
     * Returns {@code dP/d out} for step {@code step} (or null for none).
     *
     * @param guidedOutput the adapted model's guided output at this step
     * @param reference computes the same with adapters off (no gradient), on demand
     */
    INDArray cotangent(int step, INDArray x, INDArray guidedOutput, java.util.function.Supplier<INDArray> reference);
  }
}
