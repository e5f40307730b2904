package org.draft4j.engine.memory;

/**
 * Per-thread scratch arrays for Java kernels, grown on demand and reused by every kernel the
 * thread runs (kernels of a plan run one after another on one thread). Slot 6 is reserved for
 * {@link ActivationLoops}.
 */
public final class Scratch {
  private static final int SLOTS = 8;
  private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[SLOTS][0]);
  private static final ThreadLocal<double[][]> DOUBLES = ThreadLocal.withInitial(() -> new double[SLOTS][0]);

  private Scratch() {}

  /** A float array of at least n elements in slot {@code slot} (contents undefined). */
  public static float[] floats(int slot, int n) {
    float[][] s = FLOATS.get();
    if (s[slot].length < n) {
      s[slot] = new float[Math.max(n, s[slot].length * 2)];
    }
    return s[slot];
  }

  /** A double array of at least n elements in slot {@code slot} (contents undefined). */
  public static double[] doubles(int slot, int n) {
    double[][] s = DOUBLES.get();
    if (s[slot].length < n) {
      s[slot] = new double[Math.max(n, s[slot].length * 2)];
    }
    return s[slot];
  }
}
