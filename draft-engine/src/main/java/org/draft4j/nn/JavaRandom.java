package org.draft4j.nn;

/**
 * {@link java.util.Random}'s generator without its per-call atomic update: the same 48-bit linear
 * congruential sequence ({@code s ← (s·0x5DEECE66D + 0xB) mod 2⁴⁸}), {@code nextDouble} and the
 * polar-method {@code nextGaussian} exactly as that class specifies them, so every value is
 * bit-identical to {@code new Random(seed)}'s. About 4× faster, which matters for the 860 M values
 * of an SD 1.5 UNet's random initialization. Not thread-safe.
 */
final class JavaRandom {
  private static final long MULTIPLIER = 0x5DEECE66DL;
  private static final long ADDEND = 0xBL;
  private static final long MASK = (1L << 48) - 1;
  private static final double DOUBLE_UNIT = 0x1.0p-53;

  private long seed;
  private double nextNextGaussian;
  private boolean haveNextNextGaussian;

  JavaRandom(long seed) {
    this.seed = (seed ^ MULTIPLIER) & MASK;
  }

  private int next(int bits) {
    seed = (seed * MULTIPLIER + ADDEND) & MASK;
    return (int) (seed >>> (48 - bits));
  }

  double nextDouble() {
    return (((long) next(26) << 27) + next(27)) * DOUBLE_UNIT;
  }

  /**
   * Fills {@code out[0, n)} with {@code (float) ((nextDouble() * 2 - 1) * bound)}, the same values
   * as n calls of {@link #nextDouble()}, with the generator state in a local variable (about 3×
   * faster than calling {@code nextDouble} n times).
   */
  void fillUniform(float[] out, int n, double bound) {
    long s = seed;
    for (int i = 0; i < n; i++) {
      s = (s * MULTIPLIER + ADDEND) & MASK;
      long hi = (int) (s >>> 22); // next(26)
      s = (s * MULTIPLIER + ADDEND) & MASK;
      long lo = (int) (s >>> 21); // next(27)
      double d = ((hi << 27) + lo) * DOUBLE_UNIT;
      out[i] = (float) ((d * 2 - 1) * bound);
    }
    seed = s;
  }

  double nextGaussian() {
    if (haveNextNextGaussian) {
      haveNextNextGaussian = false;
      return nextNextGaussian;
    }
    double v1;
    double v2;
    double s;
    do {
      v1 = 2 * nextDouble() - 1;
      v2 = 2 * nextDouble() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s == 0);
    double multiplier = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
    nextNextGaussian = v2 * multiplier;
    haveNextNextGaussian = true;
    return v1 * multiplier;
  }
}
