package org.draft4j.train;

import org.draft4j.nn.ops.RawMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Whether a gradient holds only finite values, the check before every optimizer update. */
final class FiniteScan {
  private FiniteScan() {}

  /** Whether every element is finite (a scan without temporary arrays for contiguous floats). */
  static boolean allFinite(INDArray g) {
    if (g.dataType() != DataType.FLOAT || !RawMemory.contiguous(g) || g.length() == 0) {
      return !(g.isNaN().any() || g.isInfinite().any());
    }
    RawMemory.Block b = RawMemory.block(g);
    float[] c = new float[(int) Math.min(8192, g.length())];
    for (long off = 0; off < g.length(); off += c.length) {
      int n = (int) Math.min(c.length, g.length() - off);
      b.get(off, c, 0, n);
      float acc = 0;
      for (int i = 0; i < n; i++) {
        acc += c[i] * 0f; // NaN or ±∞ times 0 is NaN; finite values give 0
      }
      if (acc != 0f || Float.isNaN(acc)) {
        return false;
      }
    }
    return true;
  }
}
