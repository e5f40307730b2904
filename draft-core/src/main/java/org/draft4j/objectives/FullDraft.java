package org.draft4j.objectives;

/**
 * Full DRaFT: DRaFT-K with K = T, the gradient through every sampling step (checkpointed, so memory
 * holds one state per step and one step's activations).
 */
public record FullDraft() implements Objective {
  @Override
  public ObjectiveResult compute(ObjectiveContext ctx) {
    return DraftK.run(ctx, ctx.sampler().numSteps(), null, 0);
  }

  @Override
  public String name() {
    return "draft";
  }
}
