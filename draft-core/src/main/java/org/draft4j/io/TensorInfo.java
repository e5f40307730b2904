package org.draft4j.io;

import java.util.Arrays;

/**
 * One header entry of a safetensors file: dtype, shape and the byte range within the data section.
 *
 * @param name the tensor key
 * @param dtype the element type on disk
 * @param shape the shape (empty for a scalar)
 * @param begin first byte, relative to the start of the data section
 * @param end one past the last byte
 */
public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
  /** Number of elements, the product of the shape. */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + "," + end + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype
        && Arrays.equals(t.shape, shape) && t.begin == begin && t.end == end;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }
}
