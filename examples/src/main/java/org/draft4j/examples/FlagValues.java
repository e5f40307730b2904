package org.draft4j.examples;

import java.util.Locale;
import java.util.Map;

/**
 * Typed reads of command-line settings with range checks; a bad value fails with an
 * {@link IllegalArgumentException} naming the flag, the value and what is allowed, e.g.
 * {@code --steps = "-3": must be an integer >= 1}.
 */
final class FlagValues {
  private FlagValues() {}

  /** An integer in {@code [min, max]} ({@code def} when absent). */
  static int integer(Map<String, String> m, String key, int def, int min, int max) {
    String v = m.get(key);
    if (v == null) {
      return def;
    }
    int x;
    try {
      x = Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw bad(key, v, "an integer" + range(min, max));
    }
    if (x < min || x > max) {
      throw bad(key, v, "an integer" + range(min, max));
    }
    return x;
  }

  /** A 64-bit integer ({@code def} when absent). */
  static long longInteger(Map<String, String> m, String key, long def) {
    String v = m.get(key);
    if (v == null) {
      return def;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw bad(key, v, "an integer");
    }
  }

  /**
   * A finite number {@code x} with {@code min <= x <= max}, or {@code min < x <= max} when
   * {@code minExclusive} ({@code def} when absent).
   */
  static double number(Map<String, String> m, String key, double def, double min, boolean minExclusive, double max) {
    String v = m.get(key);
    if (v == null) {
      return def;
    }
    String what = "a number" + (minExclusive && max == Double.MAX_VALUE ? " > " + fmt(min)
        : max == Double.MAX_VALUE ? (min == -Double.MAX_VALUE ? "" : " >= " + fmt(min))
        : " in " + (minExclusive ? "(" : "[") + fmt(min) + ", " + fmt(max) + "]");
    double x;
    try {
      x = Double.parseDouble(v.strip());
    } catch (NumberFormatException e) {
      throw bad(key, v, what);
    }
    if (!Double.isFinite(x) || x < min || (minExclusive && x == min) || x > max) {
      throw bad(key, v, what);
    }
    return x;
  }

  /** {@code true} or {@code false} ({@code def} when absent). */
  static boolean bool(Map<String, String> m, String key, boolean def) {
    String v = m.get(key);
    if (v == null) {
      return def;
    }
    return switch (v.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw bad(key, v, "true or false");
    };
  }

  /** One of {@code allowed} ({@code def} when absent). */
  static String oneOf(Map<String, String> m, String key, String def, java.util.List<String> allowed) {
    String v = m.getOrDefault(key, def);
    if (!allowed.contains(v)) {
      throw bad(key, v, "one of " + allowed);
    }
    return v;
  }

  static IllegalArgumentException bad(String key, String value, String allowed) {
    return new IllegalArgumentException("--" + key + " = \"" + value + "\": must be " + allowed);
  }

  private static String range(int min, int max) {
    if (max == Integer.MAX_VALUE) {
      return min == Integer.MIN_VALUE ? "" : " >= " + min;
    }
    return " in [" + min + ", " + max + "]";
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
  }

  /** Comma-separated finite numbers given to {@code --flag}. */
  static double[] numbers(String flag, String s) {
    String[] p = s.split(",");
    double[] w = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      try {
        w[i] = Double.parseDouble(p[i].strip());
      } catch (NumberFormatException e) {
        w[i] = Double.NaN;
      }
      if (!Double.isFinite(w[i])) {
        throw new IllegalArgumentException("--" + flag + " = \"" + s + "\": \"" + p[i] + "\" is not a finite number;"
            + " give comma-separated numbers");
      }
    }
    return w;
  }
}
