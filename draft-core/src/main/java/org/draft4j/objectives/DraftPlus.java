package org.draft4j.objectives;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DRaFT+ (NeMo-Aligner): DRaFT-K plus {@code klCoeff · mean_k MSE(ε_ft, ε_ref)} over the last K steps,
 * with ε_ref from the same network with its adapters off (no second copy), on the adapted
 * trajectory. Loss {@code −mean r + klCoeff·KL}.
 */
public final class DraftPlus implements Objective {
  private final int k;
  private final double klCoeff;

  DraftPlus(int k, double klCoeff) {
    checkArgument(k >= 1, "DRaFT+ needs K >= 1, got %s", k);
    checkArgument(klCoeff >= 0 && Double.isFinite(klCoeff), "DRaFT+ klCoeff = %s must be finite and >= 0", klCoeff);
    this.k = k;
    this.klCoeff = klCoeff;
  }

  @Override
  public ObjectiveResult compute(ObjectiveContext ctx) {
    checkArgument(k <= ctx.sampler().numSteps(), "DRaFT+ K = %s exceeds the sampler's %s steps", k,
        ctx.sampler().numSteps());
    KlPenalty p = klCoeff > 0 ? new KlPenalty(klCoeff, k) : null;
    return DraftK.run(ctx, k, p, klCoeff);
  }

  @Override
  public void validate(org.draft4j.spi.SamplingSchedule s) {
    checkArgument(k <= s.numSteps(), "DRaFT+ K = %s exceeds the sampler's %s steps", k, s.numSteps());
  }

  @Override
  public String name() {
    return "draftPlus(" + k + ", " + klCoeff + ")";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("objective", "draftPlus");
    m.put("k", k);
    m.put("kl_coeff", klCoeff);
    return m;
  }
}
