package org.draft4j.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Listener drawing a progress bar (me.tongfei progressbar, ASCII, redrawn in place 5 times a
 * second) with the running reward, loss, seconds per step and ETA.
 */
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

  /**
   * A bar on {@code out} for {@code total} units that starts at {@code done} (a resumed loop); the
   * caller closes it, which draws it once more and ends the line.
   */
  public static ProgressBar bar(PrintStream out, String label, long total, long done) {
    return new ProgressBarBuilder().setTaskName(label).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(200).startsFrom(done, Duration.ZERO)
        .build();
  }

  @Override
  public void onStart(long fromStep, long toStep, TrainingConfig config) {
    from = fromStep;
    bar = bar(out, "train", toStep - fromStep, 0);
  }

  @Override
  public void onStep(StepMetrics m) {
    bar.stepTo(m.step() - from);
    bar.setExtraMessage(String.format(Locale.ROOT, "reward %.4f loss %.4f %.1fs/step", m.rewardMean(), m.loss(),
        m.seconds()));
  }

  @Override
  public void onEnd(long step, Throwable failure) {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
