package org.draft4j.objectives;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * AlignProp-style random truncation (as the original repository): one K drawn uniformly from
 * {@code [minK, maxK]} per batch (not per step), then DRaFT-K with that K.
 *
 * @param minK the smallest K (≥ 1)
 * @param maxK the largest K (at most the sampler's steps)
 */
public record AlignProp(@JsonProperty("min_k") int minK, @JsonProperty("max_k") int maxK) implements Objective {
  public AlignProp {
    checkArgument(1 <= minK && minK <= maxK, "AlignProp K range [%s, %s] is invalid (need 1 <= min <= max)", minK,
        maxK);
  }

  @Override
  public ObjectiveResult compute(ObjectiveContext ctx) {
    checkArgument(maxK <= ctx.sampler().numSteps(), "AlignProp max K %s exceeds the sampler's %s steps", maxK,
        ctx.sampler().numSteps());
    int k = minK + ctx.random().nextInt(maxK - minK + 1);
    return DraftK.run(ctx, k, null, 0);
  }

  @Override
  public void validate(org.draft4j.spi.SamplingSchedule s) {
    checkArgument(maxK <= s.numSteps(), "AlignProp max K %s exceeds the sampler's %s steps", maxK, s.numSteps());
  }

  @Override
  public String name() {
    return "alignProp(" + minK + ", " + maxK + ")";
  }

}
