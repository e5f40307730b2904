package org.draft4j.train;

import java.io.PrintStream;
import java.util.Locale;

/** Listener drawing a progress bar with the running reward, loss and ETA. */
public final class ConsoleProgress implements TrainingListener {
  private final PrintStream out;
  private ProgressBar bar;
  private long from;

  public ConsoleProgress(PrintStream out) {
    this.out = out;
  }

  /** On standard error. */
  public static ConsoleProgress stderr() {
    return new ConsoleProgress(System.err);
  }

  @Override
  public void onStart(long fromStep, long toStep, TrainingConfig config) {
    from = fromStep;
    bar = new ProgressBar(out, "train", toStep - fromStep);
  }

  @Override
  public void onStep(StepMetrics m) {
    bar.update(m.step() - from, String.format(Locale.ROOT, "reward %.4f loss %.4f %.1fs/step", m.rewardMean(),
        m.loss(), m.seconds()));
  }
}
