package org.draft4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Little-endian tensor bytes of any {@link SafetensorsDType} to a float32 or float64 array (C order). */
public final class TensorDecoding {
  private TensorDecoding() {}

  /**
   * Decodes {@code numel(shape)} elements of {@code dtype} from {@code bytes} (read from its position,
   * little-endian): F64 stays double unless {@code type} is FLOAT; every other type widens to float32
   * (F16 and BF16 exactly, integers as {@code (float) v}); then the array is cast to {@code type}.
   */
  public static INDArray decode(ByteBuffer bytes, SafetensorsDType dtype, long[] shape, DataType type) {
    int n = elementCount(shape, "tensor of shape " + java.util.Arrays.toString(shape) + " has");
    ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
    boolean wide = dtype == SafetensorsDType.F64;
    // written straight into the array's native buffer: no heap copy of a multi-MB tensor
    INDArray out = allocate(dtype, shape);
    if (n > 0) {
      ByteBuffer dst = out.data().asNio().order(ByteOrder.nativeOrder());
      if (wide) {
        dst.asDoubleBuffer().put(b.asDoubleBuffer().limit(n));
      } else {
        fill(dst.asFloatBuffer(), b, dtype, n);
      }
    }
    return out.dataType() == type ? out : out.castTo(type);
  }

  /** Bytes a streaming read moves at a time (one reusable direct buffer per thread). */
  private static final int CHUNK = 8 << 20;
  private static final ThreadLocal<ByteBuffer> CHUNKS =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN));

  /**
   * As {@link #decode}, reading the {@code numel(shape)} elements from {@code channel} at
   * {@code position} with positional reads instead of a memory map: F32/F64 bytes go straight into
   * the new array's native buffer, other types through one 8 MB buffer, so the file's pages never
   * count in the process's resident memory and a tensor is held once. A file shorter than the tensor
   * is an error naming {@code where}.
   */
  public static INDArray read(java.nio.channels.FileChannel channel, long position, SafetensorsDType dtype,
      long[] shape, DataType type, String where) {
    int n = elementCount(shape, where + ":");
    boolean wide = dtype == SafetensorsDType.F64;
    INDArray out = allocate(dtype, shape);
    if (n == 0) {
      return out.dataType() == type ? out : out.castTo(type);
    }
    ByteBuffer dst = out.data().asNio().order(ByteOrder.nativeOrder());
    long bytes = (long) n * dtype.bytes();
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(where + ": " + bytes + " bytes, more than one read buffer holds ("
          + Integer.MAX_VALUE + ")");
    }
    try {
      if ((dtype == SafetensorsDType.F32 || wide) && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
        dst.limit((int) bytes);
        while (dst.hasRemaining()) {
          if (channel.read(dst, position + dst.position()) < 0) {
            throw new IllegalArgumentException(where + ": the file ends " + dst.remaining() + " bytes before the"
                + " tensor does (truncated)");
          }
        }
      } else {
        ByteBuffer chunk = CHUNKS.get();
        int per = CHUNK / dtype.bytes();
        FloatBuffer f = dst.asFloatBuffer();
        for (int done = 0; done < n; ) {
          int m = Math.min(per, n - done);
          chunk.clear().limit(m * dtype.bytes());
          while (chunk.hasRemaining()) {
            if (channel.read(chunk, position + (long) done * dtype.bytes() + chunk.position()) < 0) {
              throw new IllegalArgumentException(where + ": the file ends inside the tensor (truncated)");
            }
          }
          chunk.flip();
          f.position(done);
          fill(f.slice(), chunk, dtype, m);
          done += m;
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(where + ": cannot read (" + e + ")", e);
    }
    return out.dataType() == type ? out : out.castTo(type);
  }

  /** The product of {@code shape}, refused past one array's capacity; {@code what} opens the message. */
  private static int elementCount(long[] shape, String what) {
    long count = 1;
    for (long d : shape) {
      count = Math.multiplyExact(count, d);
    }
    if (count > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + " " + count + " elements, more than one array can hold");
    }
    return (int) count;
  }

  /** A new C-order array for {@code dtype}'s values: DOUBLE for F64, FLOAT for every other type. */
  private static INDArray allocate(SafetensorsDType dtype, long[] shape) {
    DataType t = dtype == SafetensorsDType.F64 ? DataType.DOUBLE : DataType.FLOAT;
    return shape.length == 0 ? Nd4j.scalar(t, 0) : Nd4j.createUninitialized(t, shape, 'c');
  }

  private static void fill(FloatBuffer f, ByteBuffer b, SafetensorsDType dtype, int n) {
    switch (dtype) {
      case F32 -> f.put(b.asFloatBuffer().limit(n));
      case F16 -> {
        for (int i = 0; i < n; i++) {
          f.put(i, halfToFloat(b.getShort(2 * i)));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          f.put(i, Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16));
        }
      }
      case I64 -> {
        for (int i = 0; i < n; i++) {
          f.put(i, b.getLong(8 * i));
        }
      }
      case I32 -> {
        for (int i = 0; i < n; i++) {
          f.put(i, b.getInt(4 * i));
        }
      }
      case I16 -> {
        for (int i = 0; i < n; i++) {
          f.put(i, b.getShort(2 * i));
        }
      }
      case I8 -> {
        for (int i = 0; i < n; i++) {
          f.put(i, b.get(i));
        }
      }
      case U8, BOOL -> {
        for (int i = 0; i < n; i++) {
          f.put(i, b.get(i) & 0xff);
        }
      }
      default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
    }
  }

  /** IEEE 754 binary16 to float (subnormals, infinities and NaN included). */
  public static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits >>> 15) << 31;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }


  /** float to bfloat16 bits, rounding to nearest, ties to even (NaN stays a quiet NaN). */
  public static short floatToBfloat16(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
    return (short) (rounded >>> 16);
  }

  /** float to IEEE 754 binary16 bits, rounding to nearest, ties to even (overflow to ±∞, subnormals kept). */
  public static short floatToHalf(float v) {
    int bits = Float.floatToRawIntBits(v);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      int m = mant | 0x800000;
      int shift = 14 - e;
      int half = m >>> shift;
      int rest = m & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rest > mid || (rest == mid && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }
}
