package org.draft4j.spi;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded standard-normal noise, one independent stream per (seed, sample, purpose), so a sample's
 * noise does not depend on its position in a batch or on the batch size.
 */
public final class NoiseSource {
  private NoiseSource() {}

  /** Mixes numbers into one 64-bit seed (SplitMix64 finalizer per element). */
  public static long mix(long... parts) {
    long h = 0x9E3779B97F4A7C15L;
    for (long p : parts) {
      h ^= p + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
      h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
      h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
      h ^= h >>> 31;
    }
    return h;
  }

  /** A {@code [1, shape...]} standard-normal array from one seed (Box–Muller on SplittableRandom). */
  public static INDArray gaussian(long seed, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[(int) n];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < v.length; i += 2) {
      double u1 = 1.0 - r.nextDouble();
      double u2 = r.nextDouble();
      double rad = Math.sqrt(-2 * Math.log(u1));
      v[i] = (float) (rad * Math.cos(2 * Math.PI * u2));
      if (i + 1 < v.length) {
        v[i + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
      }
    }
    long[] s = new long[shape.length + 1];
    s[0] = 1;
    System.arraycopy(shape, 0, s, 1, shape.length);
    return Nd4j.create(v, s, 'c');
  }

  /** A batch {@code [B, shape...]} where row i is {@code gaussian(mix(seeds[i], purpose), shape)}. */
  public static INDArray batch(long[] seeds, long purpose, long... shape) {
    INDArray[] rows = new INDArray[seeds.length];
    for (int i = 0; i < seeds.length; i++) {
      rows[i] = gaussian(mix(seeds[i], purpose), shape);
    }
    return Nd4j.concat(0, rows);
  }
}
