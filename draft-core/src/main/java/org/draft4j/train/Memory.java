package org.draft4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process memory as the OS sees it (heap + native), for metrics and benchmarks. */
public final class Memory {
  private Memory() {}

  /** Resident set size in bytes from /proc/self/status, or the JVM heap in use where unavailable. */
  public static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // not Linux
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  /** Peak resident set size (VmHWM) in bytes, or -1 where unavailable. */
  public static long peakResidentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // not Linux
    }
    return -1;
  }
}
