package org.draft4j.optim;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Learning-rate multiplier as a function of the step: constant, linear warm-up, cosine decay. Each
 * schedule is a record, recorded in the optimizer's config as JSON ({@code {"schedule":"cosine",
 * "warmup":100,"total":2000,"min_factor":0.1}}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "schedule")
@JsonSubTypes({
  @JsonSubTypes.Type(value = LearningRateSchedule.Constant.class, name = "constant"),
  @JsonSubTypes.Type(value = LearningRateSchedule.Warmup.class, name = "warmup"),
  @JsonSubTypes.Type(value = LearningRateSchedule.Cosine.class, name = "cosine")
})
public sealed interface LearningRateSchedule {
  /** Multiplier of the base learning rate at (0-based) step. */
  double factor(long step);

  /** Always 1. */
  static LearningRateSchedule constant() {
    return new Constant();
  }

  /** Linear warm-up from 1/warmup to 1 over {@code warmup} steps, then 1 (NeMo's WarmupHold). */
  static LearningRateSchedule warmup(long warmup) {
    return new Warmup(warmup);
  }

  /** Warm-up, then cosine decay to {@code minFactor} at {@code total} steps. */
  static LearningRateSchedule cosine(long warmup, long total, double minFactor) {
    return new Cosine(warmup, total, minFactor);
  }

  /** {@code f(s) = 1}. */
  record Constant() implements LearningRateSchedule {
    @Override
    public double factor(long step) {
      return 1.0;
    }
  }

  /** {@code f(s) = (s + 1)/warmup} for {@code s < warmup}, else 1. */
  record Warmup(long warmup) implements LearningRateSchedule {
    public Warmup {
      checkArgument(warmup >= 0, "warm-up steps %s must be >= 0", warmup);
    }

    @Override
    public double factor(long s) {
      return warmup == 0 || s >= warmup ? 1.0 : (s + 1.0) / warmup;
    }
  }

  /**
   * Warm-up as {@link Warmup}, then {@code f = m + (1 − m)·½(1 + cos(π·p))} with
   * {@code p = min(1, (s − warmup)/(total − warmup))} and m = {@code minFactor}.
   */
  record Cosine(long warmup, long total, @JsonProperty("min_factor") double minFactor) implements LearningRateSchedule {
    public Cosine {
      checkArgument(total > warmup, "cosine schedule total %s must exceed warm-up %s", total, warmup);
      checkArgument(minFactor >= 0 && minFactor <= 1, "minFactor %s must be in [0, 1]", minFactor);
    }

    @Override
    public double factor(long s) {
      if (s < warmup) {
        return (s + 1.0) / warmup;
      }
      double p = Math.min(1.0, (double) (s - warmup) / (total - warmup));
      return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
  }
}
