package org.draft4j.samplers;

import org.draft4j.sampling.BlendSchedule;
import org.draft4j.sampling.Chain;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.Span;
import org.draft4j.spi.StepListener;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a sampler built as a {@link Chain} (a step rule with its guidance decorators) offers besides
 * the {@link Sampler} SPI, written once: {@link DdimSampler} and {@link FlowMatchSampler} supply the
 * chain and their own hyperparameters.
 */
public abstract class ChainSampler implements Sampler {
  ChainSampler() {}

  /** This sampler as its chain (rule and guidance), to decorate further. */
  public abstract Chain chain();

  /** The guided model output (ε, v or x₀, as the rule's model predicts) at step i for input x. */
  public INDArray guidedOutput(Denoiser model, Conditioning c, INDArray x, int step) {
    return chain().guidedOutput(model, c, x, step);
  }

  /** Full no-gradient sampling x_T → x_0 (evaluation and inference), with a progress listener (or null). */
  public INDArray sample(Denoiser model, Conditioning c, INDArray xT, long[] seeds, StepListener listener) {
    return chain().sample(model, c, xT, seeds, listener);
  }

  /**
   * This sampler with annealed importance guidance: at step i the guided outputs of the base model
   * (adapters off) and the adapted model are blended, {@code (1 − w_i)·out_base + w_i·out_adapted}.
   */
  public Chain blended(BlendSchedule schedule) {
    return chain().blended(schedule);
  }

  /** Inference with annealed importance guidance ({@link #blended}). */
  public INDArray sampleBlended(Denoiser model, Conditioning c, INDArray xT, long[] seeds, BlendSchedule schedule,
      StepListener listener) {
    return blended(schedule).sample(model, c, xT, seeds, listener);
  }

  @Override
  public Trajectory rollout(Denoiser model, Conditioning c, INDArray x, long[] seeds, Span span) {
    return chain().rollout(model, c, x, seeds, span);
  }

  /** As {@link #rollout(Denoiser, Conditioning, INDArray, long[], Span)}, with a progress listener (or null). */
  public Trajectory rollout(Denoiser model, Conditioning c, INDArray x, long[] seeds, Span span,
      StepListener listener) {
    return chain().rollout(model, c, x, seeds, span, listener);
  }
}
