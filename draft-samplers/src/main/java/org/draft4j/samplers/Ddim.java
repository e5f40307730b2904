package org.draft4j.samplers;

/** Entry point: {@code Ddim.steps(50).eta(0.0).guidance(7.5)}, SD 1.x's scheduler config by default. */
public final class Ddim {
  private Ddim() {}

  /** A DDIM sampler of n steps with SD 1.x's scheduler, eta 0 and guidance 7.5. */
  public static DdimSampler steps(int n) {
    return new DdimSampler(new DdimScheduler(DdimSchedulerConfig.sd15()), n, 0.0, 7.5);
  }

  /**
   * A DDIM sampler of n steps under the schedule {@code model} was trained with (its
   * {@link org.draft4j.models.TextToImageModel#schedulerConfig()}); refused for a model without one.
   */
  public static DdimSampler steps(int n, org.draft4j.models.TextToImageModel model) {
    java.util.Map<String, Object> c = model.schedulerConfig().orElseThrow(() -> new IllegalArgumentException(
        "model " + model.id() + " has no scheduler config (scheduler/scheduler_config.json); pass one with "
            + "Ddim.steps(n, DdimSchedulerConfig)"));
    return steps(n, DdimSchedulerConfig.fromJson(c, model.id() + " scheduler/scheduler_config.json"));
  }

  /** A DDIM sampler of n steps over the given scheduler config. */
  public static DdimSampler steps(int n, DdimSchedulerConfig config) {
    return new DdimSampler(new DdimScheduler(config), n, 0.0, 7.5);
  }
}
