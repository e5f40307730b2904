package org.draft4j.examples.support;

import java.util.Arrays;

/** Correlation coefficients of two equally long samples. */
public final class Correlation {
  private Correlation() {}

  /**
   * Pearson's r: {@code Σ(a−ā)(b−b̄) / √(Σ(a−ā)²·Σ(b−b̄)²)}, the means summed as {@code Σ aᵢ/n}.
   */
  public static double pearson(double[] a, double[] b) {
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i] / a.length;
      mb += b[i] / b.length;
    }
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / Math.sqrt(saa * sbb);
  }

  /** Spearman's ρ: Pearson's r of the {@link #ranks ranks}. */
  public static double spearman(double[] a, double[] b) {
    return pearson(ranks(a), ranks(b));
  }

  /** The 0-based rank of each value in ascending order; tied values share the mean of their ranks. */
  public static double[] ranks(double[] v) {
    Integer[] idx = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(v[a], v[b]));
    double[] r = new double[v.length];
    for (int i = 0; i < v.length; ) {
      int j = i;
      while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        r[idx[k]] = (i + j) / 2.0;
      }
      i = j + 1;
    }
    return r;
  }
}
