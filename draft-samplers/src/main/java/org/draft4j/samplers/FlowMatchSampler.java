package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.sampling.Chain;

/**
 * Flow-matching Euler sampling (SD3, FLUX) with classifier-free guidance, as an immutable value:
 * {@code FlowMatch.steps(28, FlowMatchSchedulerConfig.sd3()).guidance(7.0)}. It is a {@link Chain}
 * over the {@link FlowEulerRule} of the scheduler's {@link FlowMatchSchedule} with a
 * {@link org.draft4j.sampling.ClassifierFreeGuidance} decorator on the velocity,
 * {@code v = v_∅ + s·(v_c − v_∅)} (one batched call, skipped at s = 1), so every objective
 * (DRaFT, DRaFT-K, DRaFT-LV, ReFL, AlignProp, DRaFT+) runs on it unchanged and the checkpointed
 * backward goes through the guidance. A guidance-distilled model (FLUX.1-dev) takes its scale as an
 * input instead ({@link #embeddedGuidance}).
 *
 * <p>DRaFT+'s penalty is on the model output, here the velocity:
 * {@code KL = mean_k Σ(v_θ − v_ref)²/numel} over the K differentiated steps, {@code v_ref} the
 * same guided network with adapters off on the adapted trajectory. At a fixed state the ε and x₀
 * the velocity implies differ by {@code (1 − σ)} and {@code σ} times as much
 * ({@code ε̂ = x + (1 − σ)·v}, {@code x̂₀ = x − σ·v}), so it is the ε-MSE of DDIM's DRaFT+ weighted by
 * {@code 1/(1 − σ_i)²} per step.
 */
public final class FlowMatchSampler extends ChainSampler {
  private final FlowMatchEulerScheduler scheduler;
  private final int numSteps;
  private final Double mu;
  private final double[] customSigmas;
  private final double guidance;
  private final Double embeddedGuidance;
  private final FlowEulerRule rule;
  private final Chain chain;

  FlowMatchSampler(FlowMatchEulerScheduler scheduler, int numSteps, Double mu, double[] customSigmas,
      double guidance, Double embeddedGuidance) {
    checkArgument(customSigmas == null || customSigmas.length == numSteps,
        "%s custom sigmas for %s steps; give one per step", customSigmas == null ? 0 : customSigmas.length, numSteps);
    this.scheduler = scheduler;
    this.numSteps = numSteps;
    this.mu = mu;
    this.customSigmas = customSigmas == null ? null : customSigmas.clone();
    this.guidance = guidance;
    this.embeddedGuidance = embeddedGuidance;
    FlowMatchSchedulerConfig c = scheduler.config();
    checkArgument(!c.useDynamicShifting() || mu != null, "use_dynamic_shifting = true needs mu: use"
        + " FlowMatch.steps(n, config, mu) or .mu(mu) / .imageSeqLen(tokens) (FLUX's calculate_shift)");
    FlowMatchSchedule schedule = customSigmas != null ? scheduler.setTimesteps(customSigmas, mu)
        : mu != null ? scheduler.setTimesteps(numSteps, mu) : scheduler.setTimesteps(numSteps);
    this.rule = new FlowEulerRule(schedule, c.stochasticSampling());
    Chain ch = Chain.of(rule);
    if (embeddedGuidance != null) {
      ch = ch.decorated(EmbeddedGuidance.decorator(embeddedGuidance));
    }
    this.chain = ch.guided(guidance);
  }

  /** The same sampler with another classifier-free guidance scale (1 = conditional only, one model call). */
  public FlowMatchSampler guidance(double scale) {
    return new FlowMatchSampler(scheduler, numSteps, mu, customSigmas, scale, embeddedGuidance);
  }

  /** The same sampler with the dynamic shift at μ (a config with {@code use_dynamic_shifting}). */
  public FlowMatchSampler mu(double m) {
    checkArgument(scheduler.config().useDynamicShifting(), "mu = %s needs use_dynamic_shifting = true in the"
        + " scheduler config (a static shift takes none)", m);
    return new FlowMatchSampler(scheduler, numSteps, m, customSigmas, guidance, embeddedGuidance);
  }

  /** The same sampler with μ from the image's token count, FLUX's {@code calculate_shift} with this config's values. */
  public FlowMatchSampler imageSeqLen(int tokens) {
    checkArgument(tokens >= 1, "image_seq_len = %s must be >= 1", tokens);
    return mu(scheduler.calculateShift(tokens));
  }

  /**
   * The same sampler over given noise levels, one per step, in place of the linspace (the FLUX
   * pipeline passes {@link FlowMatchEulerScheduler#fluxSigmas}); they are shifted as configured.
   */
  public FlowMatchSampler sigmas(double... sigmas) {
    checkArgument(sigmas != null && sigmas.length >= 1, "custom sigmas need at least one level");
    return new FlowMatchSampler(scheduler, sigmas.length, mu, sigmas, guidance, embeddedGuidance);
  }

  /**
   * The same sampler over another scheduler config (shift, terminal, stochastic sampling); μ is kept
   * where the new config shifts dynamically and dropped where it does not, custom sigmas are kept.
   */
  public FlowMatchSampler scheduler(FlowMatchSchedulerConfig config) {
    return new FlowMatchSampler(new FlowMatchEulerScheduler(config), numSteps, config.useDynamicShifting() ? mu : null,
        customSigmas, guidance, embeddedGuidance);
  }

  /**
   * The same sampler feeding a guidance-distilled model (FLUX.1-dev) its guidance scale {@code g}
   * as an input ({@link GuidanceEmbeddedDenoiser}); the model passed to sampling and training must
   * be one. Combine with {@code guidance(1)} (such models are run without classifier-free guidance).
   */
  public FlowMatchSampler embeddedGuidance(double g) {
    checkArgument(Double.isFinite(g), "embedded guidance = %s must be finite", g);
    return new FlowMatchSampler(scheduler, numSteps, mu, customSigmas, guidance, g);
  }

  public FlowMatchEulerScheduler scheduler() {
    return scheduler;
  }

  /** The classifier-free guidance scale. */
  public double guidance() {
    return guidance;
  }

  /** The step rule (deterministic or stochastic Euler). */
  public FlowEulerRule rule() {
    return rule;
  }

  @Override
  public Chain chain() {
    return chain;
  }

  @Override
  public FlowMatchSchedule schedule() {
    return rule.schedule();
  }

  /**
   * The sampler's hyperparameters as a record: steps, guidance, μ, custom sigmas and embedded
   * guidance where given, and the scheduler config (diffusers' keys).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Config(String sampler, int steps, double guidance, Double mu, double[] sigmas,
      @com.fasterxml.jackson.annotation.JsonProperty("embedded_guidance") Double embeddedGuidance,
      FlowMatchSchedulerConfig scheduler) {}

  @Override
  @SuppressWarnings("unchecked")
  public Map<String, Object> config() {
    return org.draft4j.io.Json.mapper().convertValue(new Config("flow_match_euler", numSteps, guidance, mu,
        customSigmas, embeddedGuidance, scheduler.config()), LinkedHashMap.class);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("FlowMatch.steps(" + numSteps + ")");
    if (mu != null) {
      s.append(".mu(").append(mu).append(')');
    }
    if (customSigmas != null) {
      s.append(".sigmas(").append(java.util.Arrays.toString(customSigmas)).append(')');
    }
    if (embeddedGuidance != null) {
      s.append(".embeddedGuidance(").append(embeddedGuidance).append(')');
    }
    return s.append(".guidance(").append(guidance).append(") ").append(scheduler.config().toJson()).toString();
  }
}
