package org.draft4j.samplers;

import java.util.Map;
import org.draft4j.models.TextToImageModel;

/**
 * Entry point for flow-matching Euler sampling: {@code FlowMatch.steps(28, FlowMatchSchedulerConfig.sd3())
 * .guidance(7.0)}, diffusers' default config (shift 1.0) and SD3's default guidance 7.0 unless given.
 */
public final class FlowMatch {
  /** SD3's pipeline default guidance scale. */
  static final double DEFAULT_GUIDANCE = 7.0;

  private FlowMatch() {}

  /** A flow-matching Euler sampler of n steps with diffusers' default config (shift 1.0) and guidance 7.0. */
  public static FlowMatchSampler steps(int n) {
    return steps(n, FlowMatchSchedulerConfig.defaults());
  }

  /**
   * A sampler of n steps over the given config (static shift); a config with
   * {@code use_dynamic_shifting} needs μ ({@link #steps(int, FlowMatchSchedulerConfig, double)}).
   */
  public static FlowMatchSampler steps(int n, FlowMatchSchedulerConfig config) {
    return new FlowMatchSampler(new FlowMatchEulerScheduler(config), n, null, null, DEFAULT_GUIDANCE, null);
  }

  /** A sampler of n steps over a dynamically shifting config at μ (FLUX: {@code calculateShift(tokens)}). */
  public static FlowMatchSampler steps(int n, FlowMatchSchedulerConfig config, double mu) {
    com.google.common.base.Preconditions.checkArgument(config.useDynamicShifting(), "mu = %s needs"
        + " use_dynamic_shifting = true in the scheduler config (a static shift takes none)", mu);
    return new FlowMatchSampler(new FlowMatchEulerScheduler(config), n, mu, null, DEFAULT_GUIDANCE, null);
  }

  /**
   * A sampler of n steps under the schedule {@code model} was trained with (its
   * {@code scheduler/scheduler_config.json}); refused for a model without one or with a
   * non-flow-matching scheduler, naming its class.
   */
  public static FlowMatchSampler steps(int n, TextToImageModel model) {
    return steps(n, config(model));
  }

  /** As {@link #steps(int, TextToImageModel)}, at μ for a dynamically shifting config. */
  public static FlowMatchSampler steps(int n, TextToImageModel model, double mu) {
    return steps(n, config(model), mu);
  }

  private static FlowMatchSchedulerConfig config(TextToImageModel model) {
    String source = model.id() + " scheduler/scheduler_config.json";
    Map<String, Object> c = model.schedulerConfig().orElseThrow(() -> new IllegalArgumentException(
        "model " + model.id() + " has no scheduler config (scheduler/scheduler_config.json); pass one with "
            + "FlowMatch.steps(n, FlowMatchSchedulerConfig)"));
    SchedulerConfig sc = SchedulerConfigs.fromJson(c, source);
    if (sc instanceof FlowMatchSchedulerConfig f) {
      return f;
    }
    throw new IllegalArgumentException(source + ": _class_name = \"" + c.get("_class_name") + "\" is not a"
        + " flow-matching scheduler (" + FlowMatchSchedulerConfig.CLASS_NAME + "); sample it with Ddim.steps(n, model)");
  }
}
