package org.draft4j.train;

import java.nio.file.Path;

/** Child JVM for the kill-and-resume test: trains the test configuration with a checkpoint every step, slowly. */
public final class ResumeChild {
  private ResumeChild() {}

  public static void main(String[] args) {
    try (DraftTrainer t = ResumeTest.trainer(Path.of(args[0]), new TrainingListener() {
      @Override
      public void onStep(StepMetrics m) {
        try {
          Thread.sleep(400); // leave time to be killed mid-run; does not touch the arithmetic
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    })) {
      t.fitTo(Long.parseLong(args[1]));
    }
  }
}
