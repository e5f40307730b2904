package org.draft4j.examples.report;

import com.google.common.base.Preconditions;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The mean of one quantity over training seeds with its 95% Student-t interval,
 * {@code mean ± t(0.975, n−1)·sd/√n} (sd with n−1 in the denominator), and the per-seed values.
 * With 3 seeds t = 4.303, so the interval is wide: an effect whose interval excludes 0 is one the
 * seeds agree on in size, not only in sign.
 *
 * @param values the per-seed values, in seed order
 */
record SeedInterval(List<Double> values) {
  /** t(0.975, df) for df = 1..10 (standard tables). */
  private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};

  SeedInterval {
    Preconditions.checkArgument(!values.isEmpty(), "a seed interval needs at least one value");
    values = List.copyOf(values);
  }

  static SeedInterval of(double... values) {
    return new SeedInterval(Arrays.stream(values).boxed().toList());
  }

  int n() {
    return values.size();
  }

  double mean() {
    return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  /** Half-width of the 95% interval; NaN for one seed. */
  double halfWidth() {
    int n = n();
    if (n < 2) {
      return Double.NaN;
    }
    double m = mean();
    double ss = values.stream().mapToDouble(v -> (v - m) * (v - m)).sum();
    double t = n - 1 <= T975.length ? T975[n - 2] : 1.96;
    return t * Math.sqrt(ss / (n - 1) / n);
  }

  double lo() {
    return mean() - halfWidth();
  }

  double hi() {
    return mean() + halfWidth();
  }

  /** Whether the interval lies entirely above 0 (+1), entirely below (−1), or contains 0 (0). */
  int sign() {
    return lo() > 0 ? 1 : hi() < 0 ? -1 : 0;
  }

  /** {@code +0.12 [−0.05, +0.29]} with the given number of decimals and an explicit sign; one seed: {@code +0.12 (1 seed)}. */
  String signed(int decimals) {
    return format("%+." + decimals + "f");
  }

  /** {@code 0.12 [0.05, 0.29]}; one seed: {@code 0.12 (1 seed)}. */
  String plain(int decimals) {
    return format("%." + decimals + "f");
  }

  private String format(String f) {
    return n() < 2 ? String.format(Locale.ROOT, f + " (1 seed)", mean())
        : String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", mean(), lo(), hi());
  }

  /** The per-seed values, {@code 0.12 / 0.15 / 0.09}. */
  String perSeed(int decimals) {
    return String.join(" / ", values.stream().map(v -> String.format(Locale.ROOT, "%." + decimals + "f", v)).toList());
  }
}
