package org.draft4j.engine.ops;

import org.draft4j.engine.memory.RawMemory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The accumulation the float normalization kernels share: statistics summed in two float lanes per
 * chunk and carried on in double, and double sums written back rounded to float. One place, so
 * group and layer norm add their floats in the same order.
 */
final class Accumulators {
  private Accumulators() {}

  /**
   * The sum and the sum of squares of {@code a[0, len)}, each over two float lanes (even and odd
   * indices) added in double: {@code sums[0] = (double) s0 + s1}, {@code sums[1] = (double) q0 + q1}.
   */
  static void sumAndSquares(float[] a, int len, double[] sums) {
    float s0 = 0;
    float s1 = 0;
    float q0 = 0;
    float q1 = 0;
    int i = 0;
    for (; i + 1 < len; i += 2) {
      float a0 = a[i];
      float a1 = a[i + 1];
      s0 += a0;
      s1 += a1;
      q0 += a0 * a0;
      q1 += a1 * a1;
    }
    if (i < len) {
      s0 += a[i];
      q0 += a[i] * a[i];
    }
    sums[0] = (double) s0 + s1;
    sums[1] = (double) q0 + q1;
  }

  /** Writes {@code v}, each value rounded to float, to the float array {@code target} from index 0. */
  static void storeAsFloats(INDArray target, double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    RawMemory.block(target).put(0, f, 0, f.length);
  }
}
