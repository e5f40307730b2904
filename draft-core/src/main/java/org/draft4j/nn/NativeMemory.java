package org.draft4j.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ND4J frees the native buffer of an array only when its Java object is garbage-collected; arrays
 * are tiny on the heap, so the JVM sees no reason to collect while native memory grows by GBs and
 * allocation slows down (page faults). Graph runners call {@link #checkpoint()} after each call: when
 * the resident set has grown more than the budget since the last collection, it runs
 * {@code System.gc()}. Budget: system property {@code draft4j.gcBudgetMb} (default 512).
 */
public final class NativeMemory {
  private static final long BUDGET = Long.getLong("draft4j.gcBudgetMb", 512L) << 20;
  private static final Path STATUS = Path.of("/proc/self/status");
  private static long baseline = -1;
  private static int calls;

  private NativeMemory() {}

  /**
   * Drops the inference sessions of {@code sd} and of its gradient function after a call. In ND4J
   * 1.0.0-M2.1 a session lives per thread for the life of its graph and remembers the id of every
   * array it ever freed ({@code InferenceSession.freedArrays}) and every array it cached
   * ({@code ArrayCacheMemoryMgr.lruCache}), so a long training run grows the Java heap by thousands
   * of entries per step (measured before this fix: 3.1 M entries and +750 MB RSS over 800 DRaFT steps
   * of a tiny model). A new session is created lazily on the next call; dropped arrays are freed by
   * the collector (see {@link #checkpoint()}).
   */
  public static void releaseSessions(org.nd4j.autodiff.samediff.SameDiff sd) {
    if (sd == null) {
      return;
    }
    sd.getSessions().clear();
    org.nd4j.autodiff.samediff.SameDiff grad = sd.getFunction("grad"); // null until gradients were computed
    if (grad != null && grad != sd) {
      grad.getSessions().clear();
    }
  }

  /**
   * Collects garbage now: call before an allocation-heavy graph call (a backward pass allocates
   * about as much as all its activations), so it reuses freed buffers instead of faulting in new pages.
   */
  public static synchronized void collect() {
    System.gc();
    baseline = Math.max(0, rss());
  }

  /** Collects garbage if resident memory grew past the budget since the last collection. */
  public static synchronized void checkpoint() {
    long rss = rss();
    if (rss < 0) {
      if (++calls % 8 == 0) {
        System.gc(); // no /proc: collect every 8 calls
      }
      return;
    }
    if (baseline < 0) {
      baseline = rss;
    } else if (rss - baseline > BUDGET) {
      System.gc();
      baseline = Math.max(0, rss());
    }
  }

  private static long rss() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
