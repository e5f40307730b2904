package org.draft4j.engine.ops;

import org.draft4j.engine.memory.RawMemory;
import org.draft4j.engine.memory.Scratch;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Elementwise activations and the gated linear unit of diffusers' GEGLU, forward and backward:
 *
 * <pre>
 *   activation:  y = f(x)                 dx = dy·f'(x)
 *   gated:       p = [a | b] (last dim 2F)   y = a·f(b)    da = dy·f(b)    db = dy·a·f'(b)
 * </pre>
 */
final class GatedKernel {
  private static final int CHUNK = 8192;

  private GatedKernel() {}

  static void activation(INDArray x, INDArray y, Activation f) {
    int n = size(x);
    if (x.dataType() == DataType.DOUBLE) {
      double[] v = RawMemory.doubles(x);
      for (int i = 0; i < n; i++) {
        v[i] = f.apply(v[i]);
      }
      RawMemory.block(y).put(0, v, 0, n);
      return;
    }
    RawMemory.Block xa = RawMemory.block(x);
    RawMemory.Block ya = RawMemory.block(y);
    float[] buf = Scratch.floats(0, CHUNK);
    for (int off = 0; off < n; off += CHUNK) {
      int len = Math.min(CHUNK, n - off);
      xa.get(off, buf, 0, len);
      f.apply(buf, buf, 0, len);
      ya.put(off, buf, 0, len);
    }
  }

  static void activationBackward(INDArray x, INDArray dy, INDArray dx, Activation f) {
    int n = size(x);
    if (x.dataType() == DataType.DOUBLE) {
      double[] v = RawMemory.doubles(x);
      double[] d = RawMemory.doubles(dy);
      for (int i = 0; i < n; i++) {
        d[i] *= f.derivative(v[i]);
      }
      RawMemory.block(dx).put(0, d, 0, n);
      return;
    }
    RawMemory.Block xa = RawMemory.block(x);
    RawMemory.Block da = RawMemory.block(dy);
    RawMemory.Block oa = RawMemory.block(dx);
    float[] xb = Scratch.floats(0, CHUNK);
    float[] db = Scratch.floats(1, CHUNK);
    for (int off = 0; off < n; off += CHUNK) {
      int len = Math.min(CHUNK, n - off);
      xa.get(off, xb, 0, len);
      da.get(off, db, 0, len);
      f.backward(xb, db, db, 0, len);
      oa.put(off, db, 0, len);
    }
  }

  /** Rows of a gated input whose last dimension is 2F. */
  static int rows(INDArray p, int f) {
    checkArgument(p.size(p.rank() - 1) == 2L * f, "gated unit: last dimension of %s is not 2·%s",
        java.util.Arrays.toString(p.shape()), f);
    return size(p) / (2 * f);
  }

  static void gated(INDArray p, INDArray y, int f, Activation act) {
    int rows = rows(p, f);
    if (p.dataType() == DataType.DOUBLE) {
      double[] v = RawMemory.doubles(p);
      double[] out = new double[rows * f];
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < f; j++) {
          out[r * f + j] = v[r * 2 * f + j] * act.apply(v[r * 2 * f + f + j]);
        }
      }
      RawMemory.block(y).put(0, out, 0, out.length);
      return;
    }
    RawMemory.Block pa = RawMemory.block(p);
    RawMemory.Block ya = RawMemory.block(y);
    int per = Math.max(1, CHUNK / (2 * f));
    float[] in = Scratch.floats(0, per * 2 * f);
    float[] av = Scratch.floats(1, per * f);
    float[] bv = Scratch.floats(2, per * f);
    for (int r0 = 0; r0 < rows; r0 += per) {
      int nr = Math.min(per, rows - r0);
      int m = nr * f;
      pa.get((long) r0 * 2 * f, in, 0, nr * 2 * f);
      split(in, av, bv, nr, f);
      act.apply(bv, bv, 0, m);
      for (int i = 0; i < m; i++) {
        av[i] *= bv[i];
      }
      ya.put((long) r0 * f, av, 0, m);
    }
  }

  /** Rows {@code [a | b]} of {@code in} into separate dense blocks a and b. */
  private static void split(float[] in, float[] a, float[] b, int rows, int f) {
    for (int k = 0; k < rows; k++) {
      System.arraycopy(in, k * 2 * f, a, k * f, f);
      System.arraycopy(in, k * 2 * f + f, b, k * f, f);
    }
  }

  static void gatedBackward(INDArray p, INDArray dy, INDArray dp, int f, Activation act) {
    int rows = rows(p, f);
    if (p.dataType() == DataType.DOUBLE) {
      double[] v = RawMemory.doubles(p);
      double[] d = RawMemory.doubles(dy);
      double[] out = new double[v.length];
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < f; j++) {
          double a = v[r * 2 * f + j];
          double b = v[r * 2 * f + f + j];
          double g = d[r * f + j];
          out[r * 2 * f + j] = g * act.apply(b);
          out[r * 2 * f + f + j] = g * a * act.derivative(b);
        }
      }
      RawMemory.block(dp).put(0, out, 0, out.length);
      return;
    }
    RawMemory.Block pa = RawMemory.block(p);
    RawMemory.Block da = RawMemory.block(dy);
    RawMemory.Block oa = RawMemory.block(dp);
    int per = Math.max(1, CHUNK / (2 * f));
    float[] in = Scratch.floats(0, per * 2 * f);
    float[] av = Scratch.floats(1, per * f);
    float[] bv = Scratch.floats(2, per * f);
    float[] d = Scratch.floats(3, per * f);
    float[] fb = Scratch.floats(4, per * f);
    for (int r0 = 0; r0 < rows; r0 += per) {
      int nr = Math.min(per, rows - r0);
      int m = nr * f;
      pa.get((long) r0 * 2 * f, in, 0, nr * 2 * f);
      da.get((long) r0 * f, d, 0, m);
      split(in, av, bv, nr, f);
      act.apply(bv, fb, 0, m);
      act.backward(bv, d, bv, 0, m); // bv = dy·f'(b)
      for (int i = 0; i < m; i++) {
        bv[i] *= av[i];
      }
      for (int i = 0; i < m; i++) {
        av[i] = d[i] * fb[i];
      }
      for (int k = 0; k < nr; k++) {
        System.arraycopy(av, k * f, in, k * 2 * f, f);
        System.arraycopy(bv, k * f, in, k * 2 * f + f, f);
      }
      oa.put((long) r0 * 2 * f, in, 0, nr * 2 * f);
    }
  }

  private static int size(INDArray a) {
    checkArgument(a.length() <= Integer.MAX_VALUE, "array of %s elements is too large for a Java kernel", a.length());
    return (int) a.length();
  }
}
