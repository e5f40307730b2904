package org.draft4j.objectives;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AlignProp-style random truncation (as the original repository): one K drawn uniformly from
 * {@code [minK, maxK]} per batch (not per step), then DRaFT-K with that K.
 */
public final class AlignProp implements Objective {
  private final int minK;
  private final int maxK;

  AlignProp(int minK, int maxK) {
    checkArgument(1 <= minK && minK <= maxK, "AlignProp K range [%s, %s] is invalid (need 1 <= min <= max)", minK,
        maxK);
    this.minK = minK;
    this.maxK = maxK;
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

  @Override
  public Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("objective", "alignProp");
    m.put("min_k", minK);
    m.put("max_k", maxK);
    return m;
  }
}
