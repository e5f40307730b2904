package org.draft4j.sampling;

import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;

/**
 * How a {@link Chain} turns the caller's model into the denoiser one step evaluates, for one
 * batch: classifier-free guidance ({@link ClassifierFreeGuidance#decorator}) binds the batch's
 * unconditional embeddings, annealed importance guidance ({@link AnnealedGuidance#decorator}) the
 * step's blend weight. The result is a {@link Denoiser} like any other (forward and VJP), so
 * decorators compose and work with every {@link StepRule}.
 */
@FunctionalInterface
public interface DenoiserDecorator {
  /**
   * The denoiser step {@code step} of {@code numSteps} evaluates in place of {@code model} for the
   * batch conditioned by {@code cond} ({@code model} itself where the decorator has nothing to do).
   */
  Denoiser decorate(Denoiser model, Conditioning cond, int step, int numSteps);
}
