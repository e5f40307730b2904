package org.draft4j.samplers;

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
}
