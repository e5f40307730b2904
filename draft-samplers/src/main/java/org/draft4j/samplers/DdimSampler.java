package org.draft4j.samplers;

import org.draft4j.sampling.Chain;
import org.draft4j.spi.SamplingSchedule;

/**
 * DDIM sampling with classifier-free guidance, as an immutable value: {@code Ddim.steps(50).eta(0)
 * .guidance(7.5)}. It is a {@link Chain} over the {@link DdimRule} with a
 * {@link org.draft4j.sampling.ClassifierFreeGuidance} decorator: the guided output
 * {@code out = out_u + s·(out_c − out_u)} is computed in one batched call on {@code [uncond; cond]}
 * (skipped when s = 1), and the chain's checkpointed backward uses DDIM's affine coefficients
 * ({@link DdimScheduler.Coefficients}).
 */
public final class DdimSampler extends ChainSampler {
  private final DdimRule rule;
  private final double guidance;
  private final Chain chain;

  DdimSampler(DdimScheduler scheduler, int numSteps, double eta, double guidance) {
    this.rule = new DdimRule(scheduler, numSteps, eta);
    this.guidance = guidance;
    this.chain = Chain.of(rule).guided(guidance);
  }

  /** The same sampler with another eta (0 = deterministic DDIM, 1 = DDPM-like). */
  public DdimSampler eta(double eta) {
    return new DdimSampler(rule.scheduler(), numSteps(), eta, guidance);
  }

  /** The same sampler with another classifier-free guidance scale (1 = conditional only). */
  public DdimSampler guidance(double scale) {
    return new DdimSampler(rule.scheduler(), numSteps(), rule.eta(), scale);
  }

  /** The same sampler over another scheduler config (spacing, prediction type, betas). */
  public DdimSampler scheduler(DdimSchedulerConfig config) {
    return new DdimSampler(new DdimScheduler(config), numSteps(), rule.eta(), guidance);
  }

  public DdimScheduler scheduler() {
    return rule.scheduler();
  }

  public double eta() {
    return rule.eta();
  }

  public double guidance() {
    return guidance;
  }

  @Override
  public Chain chain() {
    return chain;
  }

  @Override
  public SamplingSchedule schedule() {
    return rule.schedule();
  }

  /** Model timestep used at step i (0 ≤ i < numSteps). */
  public int timestep(int step) {
    return rule.schedule().timestep(step);
  }

  /**
   * The sampler's hyperparameters as a record: steps, eta, guidance scale and the scheduler config
   * (diffusers' keys).
   */
  public record Config(String sampler, int steps, double eta, double guidance, DdimSchedulerConfig scheduler) {}

  @Override
  @SuppressWarnings("unchecked")
  public java.util.Map<String, Object> config() {
    return org.draft4j.io.Json.mapper().convertValue(new Config("ddim", numSteps(), eta(), guidance,
        scheduler().config()), java.util.LinkedHashMap.class);
  }

  @Override
  public String toString() {
    return "Ddim.steps(" + numSteps() + ").eta(" + eta() + ").guidance(" + guidance + ") "
        + scheduler().config().toJson();
  }
}
