package org.draft4j.optim;

import static com.google.common.base.Preconditions.checkArgument;

/** Learning-rate multiplier as a function of the step: constant, linear warm-up, cosine decay. */
public interface LearningRateSchedule {
  /** Multiplier of the base learning rate at (0-based) step. */
  double factor(long step);

  /** Always 1. */
  static LearningRateSchedule constant() {
    return s -> 1.0;
  }

  /** Linear warm-up from 1/warmup to 1 over {@code warmup} steps, then 1 (NeMo's WarmupHold). */
  static LearningRateSchedule warmup(long warmup) {
    checkArgument(warmup >= 0, "warm-up steps %s must be >= 0", warmup);
    return s -> warmup == 0 || s >= warmup ? 1.0 : (s + 1.0) / warmup;
  }

  /** Warm-up, then cosine decay to {@code minFactor} at {@code total} steps. */
  static LearningRateSchedule cosine(long warmup, long total, double minFactor) {
    checkArgument(total > warmup, "cosine schedule total %s must exceed warm-up %s", total, warmup);
    checkArgument(minFactor >= 0 && minFactor <= 1, "minFactor %s must be in [0, 1]", minFactor);
    return s -> {
      if (s < warmup) {
        return (s + 1.0) / warmup;
      }
      double p = Math.min(1.0, (double) (s - warmup) / (total - warmup));
      return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * p));
    };
  }
}
