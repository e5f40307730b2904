package org.draft4j.sampling;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Weight {@code w_i} of the adapted model at sampling step i of n for annealed importance guidance
 * (NeMo-Aligner's AIG): {@code ε = (1 − w_i)·ε_base + w_i·ε_adapted}. Factories follow NeMo's
 * options: base (0), adapted (1), linear (i/n), power (i/n)^p, step (1 once i/n ≥ f).
 */
@FunctionalInterface
public interface BlendSchedule {
  /** Weight of the adapted model at step i (0-based) of n. */
  double weight(int step, int numSteps);

  static BlendSchedule base() {
    return (i, n) -> 0.0;
  }

  static BlendSchedule adapted() {
    return (i, n) -> 1.0;
  }

  /** {@code i/n}: the base model lays out the image, the adapted model finishes it. */
  static BlendSchedule linear() {
    return (i, n) -> (double) i / n;
  }

  static BlendSchedule power(double p) {
    checkArgument(p > 0, "power %s must be > 0", p);
    return (i, n) -> Math.pow((double) i / n, p);
  }

  static BlendSchedule step(double fraction) {
    checkArgument(fraction >= 0 && fraction <= 1, "step fraction %s must be in [0, 1]", fraction);
    return (i, n) -> (double) i / n >= fraction ? 1.0 : 0.0;
  }

  /**
   * A schedule by NeMo-Aligner's {@code weight_type} names: {@code base}, {@code draft} (or
   * {@code adapted}), {@code linear}, {@code power_P} ({@code P > 0}), {@code step_F}
   * ({@code F} in [0, 1]); refuses anything else naming the allowed forms.
   */
  static BlendSchedule parse(String name) {
    checkArgument(name != null, "blend schedule must not be null (base, draft, linear, power_P, step_F)");
    String n = name.strip();
    try {
      if (n.startsWith("power_")) {
        double p = Double.parseDouble(n.substring(6));
        checkArgument(p > 0 && Double.isFinite(p), "blend schedule \"%s\": the power must be a number > 0", name);
        return power(p);
      }
      if (n.startsWith("step_")) {
        double f = Double.parseDouble(n.substring(5));
        checkArgument(f >= 0 && f <= 1, "blend schedule \"%s\": the step fraction must be in [0, 1]", name);
        return step(f);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("blend schedule \"" + name + "\": " + e.getMessage()
          + " is not a number (power_P, step_F)", e);
    }
    return switch (n) {
      case "base" -> base();
      case "draft", "adapted" -> adapted();
      case "linear" -> linear();
      default -> throw new IllegalArgumentException("blend schedule \"" + name
          + "\" is not one of base, draft (adapted), linear, power_P, step_F");
    };
  }
}
