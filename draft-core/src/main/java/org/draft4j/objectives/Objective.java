package org.draft4j.objectives;

import java.util.Map;

/**
 * A training objective: given one micro-batch's context it returns the loss it minimizes and that
 * loss's gradient ({@link ObjectiveResult}). Objectives are small immutable values built from
 * {@link org.draft4j.spi.Sampler#rollout} spans and {@link org.draft4j.spi.Trajectory#backward}; a
 * new one needs no change to the trainer or the sampler.
 */
public interface Objective {
  /** Computes loss and gradients for one micro-batch. */
  ObjectiveResult compute(ObjectiveContext ctx);

  /** A short name with parameters, for logs and provenance. */
  String name();

  /** Hyperparameters for provenance and resume checks. */
  Map<String, Object> config();

  /**
   * Checks that this objective can run with the sampler (for example K ≤ number of steps), with an
   * exception naming the values; called by the trainer's {@code build()} so mistakes surface before
   * training starts.
   */
  default void validate(org.draft4j.spi.SamplingSchedule schedule) {}
}
