package org.draft4j.engine.memory;

import java.lang.reflect.Field;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sun.misc.Unsafe;

/**
 * Bulk copies between an array's native memory and Java arrays, for Java kernels: they work on
 * chunks copied into heap arrays (where the JIT vectorizes loops) and copy results back. Only
 * host-resident, c-ordered contiguous arrays qualify ({@link #contiguous}). Public for draft4j's own
 * kernels in other packages (the optimizer); not an API.
 */
public final class RawMemory {
  private static final Unsafe U;
  private static final long FLOAT_BASE;
  private static final long DOUBLE_BASE;

  static {
    try {
      Field f = Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      U = (Unsafe) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
    FLOAT_BASE = U.arrayBaseOffset(float[].class);
    DOUBLE_BASE = U.arrayBaseOffset(double[].class);
  }

  private RawMemory() {}

  /** Address of an array's first element. */
  static long address(INDArray a) {
    return a.data().addressPointer().address();
  }

  /** The JDK's Unsafe, for the engine's raw-memory kernels in other packages; not an API. */
  public static Unsafe unsafe() {
    return U;
  }

  /** Whether a kernel may treat the array as one dense block in c order. */
  public static boolean contiguous(INDArray a) {
    return !a.isEmpty() && denseC(a);
  }

  /**
   * Whether an array's elements lie densely in c order (size-1 dimensions may have any stride;
   * ND4J's own test refuses some such arrays).
   */
  public static boolean denseC(INDArray a) {
    long expected = 1;
    for (int d = a.rank() - 1; d >= 0; d--) {
      long size = a.size(d);
      if (size != 1 && a.stride(d) != expected) {
        return false;
      }
      expected *= size;
    }
    return true;
  }

  /** A bounds-checked window on an array's memory. */
  public static final class Block {
    private final long address;
    private final long length;
    private final int width;

    private Block(INDArray a) {
      if (!contiguous(a)) {
        throw new IllegalArgumentException("Java kernels need contiguous c-order arrays, got "
            + java.util.Arrays.toString(a.shape()) + " strides " + java.util.Arrays.toString(a.stride()));
      }
      this.address = address(a);
      this.length = a.length();
      this.width = a.dataType().width();
    }

    private long at(long index, int n, int w) {
      if (index < 0 || n < 0 || index + n > length || w != width) {
        throw new IndexOutOfBoundsException("elements [" + index + ", " + (index + n) + ") of an array of " + length
            + (w != width ? " (element width " + width + ", accessed as " + w + ")" : ""));
      }
      return address + (long) width * index;
    }

    public void get(long index, float[] dst, int off, int n) {
      U.copyMemory(null, at(index, n, 4), dst, FLOAT_BASE + 4L * off, 4L * n);
    }

    public void put(long index, float[] src, int off, int n) {
      U.copyMemory(src, FLOAT_BASE + 4L * off, null, at(index, n, 4), 4L * n);
    }

    public void get(long index, double[] dst, int off, int n) {
      U.copyMemory(null, at(index, n, 8), dst, DOUBLE_BASE + 8L * off, 8L * n);
    }

    public void put(long index, double[] src, int off, int n) {
      U.copyMemory(src, DOUBLE_BASE + 8L * off, null, at(index, n, 8), 8L * n);
    }
  }

  /** A bounds-checked window on a contiguous array. */
  public static Block block(INDArray a) {
    return new Block(a);
  }

  private static void get(long address, long index, float[] dst, int off, int n) {
    U.copyMemory(null, address + 4 * index, dst, FLOAT_BASE + 4L * off, 4L * n);
  }

  private static void put(long address, long index, float[] src, int off, int n) {
    U.copyMemory(src, FLOAT_BASE + 4L * off, null, address + 4 * index, 4L * n);
  }

  private static void get(long address, long index, double[] dst, int off, int n) {
    U.copyMemory(null, address + 8 * index, dst, DOUBLE_BASE + 8L * off, 8L * n);
  }

  private static void put(long address, long index, double[] src, int off, int n) {
    U.copyMemory(src, DOUBLE_BASE + 8L * off, null, address + 8 * index, 8L * n);
  }

  /** All elements of a contiguous float array. */
  public static float[] floats(INDArray a) {
    float[] f = new float[(int) a.length()];
    block(a).get(0, f, 0, f.length);
    return f;
  }

  /** All elements of a contiguous double array. */
  public static double[] doubles(INDArray a) {
    double[] d = new double[(int) a.length()];
    block(a).get(0, d, 0, d.length);
    return d;
  }

  public static void requireSupported(String op, INDArray a) {
    if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
      throw new IllegalArgumentException(op + ": supports FLOAT and DOUBLE arrays, got " + a.dataType());
    }
  }
}
