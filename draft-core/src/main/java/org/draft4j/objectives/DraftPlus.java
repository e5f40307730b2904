package org.draft4j.objectives;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * DRaFT+ (NeMo-Aligner): DRaFT-K plus {@code klCoeff · mean_k MSE(ε_ft, ε_ref)} over the last K steps,
 * with ε_ref from the same network with its adapters off (no second copy), on the adapted
 * trajectory. Loss {@code −mean r + klCoeff·KL}.
 *
 * @param k the number of differentiated last steps
 * @param klCoeff the KL coefficient (≥ 0; 0 is DRaFT-K)
 */
public record DraftPlus(int k, @JsonProperty("kl_coeff") double klCoeff) implements Objective {
  public DraftPlus {
    checkArgument(k >= 1, "DRaFT+ needs K >= 1, got %s", k);
    checkArgument(klCoeff >= 0 && Double.isFinite(klCoeff), "DRaFT+ klCoeff = %s must be finite and >= 0", klCoeff);
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

}
