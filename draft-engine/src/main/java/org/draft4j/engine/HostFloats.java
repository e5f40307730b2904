package org.draft4j.engine;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.engine.memory.RawMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise loops over float arrays in host memory, chunk by chunk through heap buffers, without
 * temporary native arrays: what optimizers and gradient checks need, so that they do not touch
 * raw memory themselves. Every loop visits elements in index order, so results are deterministic.
 */
public final class HostFloats {
  /** Elements per chunk. */
  public static final int CHUNK = 8192;

  private HostFloats() {}

  /** Whether {@code a} is a non-empty contiguous FLOAT array that these loops accept. */
  public static boolean supported(INDArray a) {
    return a.dataType() == DataType.FLOAT && RawMemory.contiguous(a) && a.length() > 0;
  }

  /** An element-wise update of aligned chunks: {@code chunks[k][0..n)} holds elements of array k. */
  @FunctionalInterface
  public interface ChunkUpdate {
    /** Updates the first {@code n} elements of the {@code written} chunks in place, reading the others. */
    void apply(float[][] chunks, int n);
  }

  /**
   * Runs {@code update} over equal-length supported arrays chunk by chunk: each chunk of every array
   * is copied into {@code chunks[k]}, updated, and the first {@code written} arrays are copied back.
   *
   * @param buffers heap buffers of at least {@link #CHUNK} floats, one per array (reused across calls)
   */
  public static void update(ChunkUpdate update, float[][] buffers, int written, INDArray... arrays) {
    checkArgument(buffers.length >= arrays.length, "update: %s buffers for %s arrays", buffers.length, arrays.length);
    checkArgument(written >= 0 && written <= arrays.length, "update: written=%s, allowed 0..%s", written,
        arrays.length);
    long length = arrays[0].length();
    RawMemory.Block[] blocks = new RawMemory.Block[arrays.length];
    for (int k = 0; k < arrays.length; k++) {
      checkArgument(supported(arrays[k]), "update: array %s is %s %s, needs a contiguous FLOAT array", k,
          arrays[k].dataType(), java.util.Arrays.toString(arrays[k].shape()));
      checkArgument(arrays[k].length() == length, "update: array %s has %s elements, array 0 has %s", k,
          arrays[k].length(), length);
      checkArgument(buffers[k].length >= CHUNK, "update: buffer %s holds %s floats, needs %s", k, buffers[k].length,
          CHUNK);
      blocks[k] = RawMemory.block(arrays[k]);
    }
    for (long off = 0; off < length; off += CHUNK) {
      int n = (int) Math.min(CHUNK, length - off);
      for (int k = 0; k < arrays.length; k++) {
        blocks[k].get(off, buffers[k], 0, n);
      }
      update.apply(buffers, n);
      for (int k = 0; k < written; k++) {
        blocks[k].put(off, buffers[k], 0, n);
      }
    }
  }

  /**
   * {@code acc + Σ aᵢ²} in double: per chunk two interleaved partial sums, each chunk's total added
   * to the running {@code acc} in index order (so a sum over several arrays is one call per array).
   */
  public static double addSquares(double acc, INDArray a) {
    checkArgument(supported(a), "addSquares: needs a contiguous FLOAT array, got %s", a.dataType());
    float[] c = new float[(int) Math.min(CHUNK, a.length())];
    RawMemory.Block b = RawMemory.block(a);
    double sq = acc;
    for (long off = 0; off < a.length(); off += CHUNK) {
      int n = (int) Math.min(CHUNK, a.length() - off);
      b.get(off, c, 0, n);
      double s0 = 0;
      double s1 = 0;
      int i = 0;
      for (; i + 1 < n; i += 2) {
        s0 += (double) c[i] * c[i];
        s1 += (double) c[i + 1] * c[i + 1];
      }
      if (i < n) {
        s0 += (double) c[i] * c[i];
      }
      sq += s0 + s1;
    }
    return sq;
  }

  /**
   * Whether every element is finite. Supported arrays are scanned without temporaries (NaN or ±∞
   * times 0 is NaN, a finite value gives 0); others fall back to ND4J's {@code isNaN}/{@code isInfinite}.
   */
  public static boolean allFinite(INDArray g) {
    if (!supported(g)) {
      return g.length() == 0 || !(g.isNaN().any() || g.isInfinite().any());
    }
    RawMemory.Block b = RawMemory.block(g);
    float[] c = new float[(int) Math.min(CHUNK, g.length())];
    for (long off = 0; off < g.length(); off += c.length) {
      int n = (int) Math.min(c.length, g.length() - off);
      b.get(off, c, 0, n);
      float acc = 0;
      for (int i = 0; i < n; i++) {
        acc += c[i] * 0f;
      }
      if (acc != 0f || Float.isNaN(acc)) {
        return false;
      }
    }
    return true;
  }
}
