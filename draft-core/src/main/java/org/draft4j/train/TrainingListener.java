package org.draft4j.train;

/** Callbacks of a training run; implement what you need. */
public interface TrainingListener {
  /** Before the first step of a {@code fit} call. */
  default void onStart(long fromStep, long toStep, TrainingConfig config) {}

  /** After every optimizer step. */
  default void onStep(StepMetrics m) {}

  /** After the last step (also on failure, with the cause, else null). */
  default void onEnd(long step, Throwable failure) {}
}
