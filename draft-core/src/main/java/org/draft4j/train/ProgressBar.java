package org.draft4j.train;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line console progress bar with rate and ETA, redrawn in place with {@code \r}. */
public final class ProgressBar {
  private final PrintStream out;
  private final String label;
  private final long total;
  private final long startNanos = System.nanoTime();
  private long lastDraw;

  public ProgressBar(PrintStream out, String label, long total) {
    this.out = out;
    this.label = label;
    this.total = Math.max(1, total);
  }

  /** Redraws at {@code done} units, with a short status suffix; throttled to 5 redraws a second. */
  public void update(long done, String status) {
    long now = System.nanoTime();
    if (done < total && now - lastDraw < 200_000_000L) {
      return;
    }
    lastDraw = now;
    double el = (now - startNanos) / 1e9;
    double rate = done > 0 ? el / done : 0;
    double eta = rate * (total - done);
    int width = 24;
    int fill = (int) Math.min(width, width * done / total);
    String bar = "#".repeat(fill) + "-".repeat(width - fill);
    out.printf(Locale.ROOT, "\r%s [%s] %d/%d %s elapsed %s eta %s   ", label, bar, done, total,
        status == null ? "" : status, fmt(el), fmt(eta));
    if (done >= total) {
      out.println();
    }
    out.flush();
  }

  static String fmt(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
        : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
  }
}
