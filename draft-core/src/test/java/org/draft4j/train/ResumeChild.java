package org.draft4j.train;

import java.nio.file.Path;

/** Child JVM for the kill-and-resume test: trains the test configuration with a checkpoint every step, slowly. */
public final class ResumeChild {
  private ResumeChild() {}

  /**
   * {@code <checkpoint dir> <target step> [lambda|ema]}: with {@code lambda}, the reward is the
   * README's lambda; with {@code ema}, the trainer keeps an EMA of its weights ({@link
   * EmaTrainingTest#emaTrainer}).
   */
  public static void main(String[] args) {
    // the parent's -Ddraft4j.* engine options, as the test JVM's EngineOptionsFromProperties sets them
    org.draft4j.engine.ExecutionContext.setDefaultOptions(
        org.draft4j.engine.ExecutionOptions.fromProperties(System.getProperties()));
    if (args.length > 2 && args[2].equals("ema")) {
      try (DraftTrainer t = EmaTrainingTest.emaTrainer(Path.of(args[0]), EmaTrainingTest.EMA)) {
        t.fitTo(Long.parseLong(args[1]));
      }
      return;
    }
    boolean lambda = args.length > 2 && args[2].equals("lambda");
    TrainingListener slow = new TrainingListener() {
      @Override
      public void onStep(StepMetrics m) {
        try {
          Thread.sleep(lambda ? 0 : 400); // leave time to be killed mid-run; does not touch the arithmetic
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    try (DraftTrainer t = lambda ? ResumeTest.lambdaTrainer(Path.of(args[0])) : ResumeTest.trainer(Path.of(args[0]), slow)) {
      t.fitTo(Long.parseLong(args[1]));
    }
  }
}
