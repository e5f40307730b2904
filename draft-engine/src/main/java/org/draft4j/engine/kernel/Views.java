package org.draft4j.engine.kernel;

import java.util.Arrays;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Ops whose output can be a view of their input instead of a copy: reshape of contiguous data,
 * permute and transpose, squeeze and expand_dims, identity, and simple strided slices. A view
 * costs nothing at run time (no kernel, no memory). The tracer checks every view it makes against
 * the op's real output, value for value, and keeps the op where they differ.
 */
public final class Views {
  private Views() {}

  /** Whether the op is one of the kinds this class may turn into a view. */
  public static boolean candidate(DifferentialFunction op) {
    return switch (op.opName()) {
      case "reshape", "permute", "transpose", "squeeze", "expand_dims", "identity", "strided_slice" -> true;
      default -> false;
    };
  }

  /**
   * A view of {@code in[0]} equal to the op's output of shape {@code out}, or null when none is
   * possible (the caller verifies the values).
   */
  public static INDArray view(DifferentialFunction op, INDArray[] in, LongShapeDescriptor out) {
    INDArray x = in[0];
    if (x.isEmpty() || out.isEmpty() || x.dataType() != out.dataType()) {
      return null;
    }
    long[] shape = out.getShape();
    INDArray v;
    switch (op.opName()) {
      case "identity":
        v = x;
        break;
      case "reshape":
      case "squeeze":
      case "expand_dims": {
        if (op instanceof DynamicCustomOp c && op.opName().equals("reshape") && c.iArgs().length > 0
            && c.iArgs()[0] == -102) {
          return null; // Fortran-order reshape
        }
        if (!denseC(x)) {
          return null;
        }
        v = x.reshape('c', shape);
        break;
      }
      case "permute": {
        int[] dims = permutation(op, in);
        if (dims == null) {
          return null;
        }
        v = x.permute(dims);
        break;
      }
      case "transpose": {
        if (in.length > 1 || ((DynamicCustomOp) op).iArgs().length > 0) {
          int[] dims = permutation(op, in);
          if (dims == null) {
            return null;
          }
          v = x.permute(dims);
        } else {
          int[] dims = new int[x.rank()];
          for (int i = 0; i < dims.length; i++) {
            dims[i] = dims.length - 1 - i;
          }
          v = x.permute(dims);
        }
        break;
      }
      case "strided_slice":
        v = slice((DynamicCustomOp) op, in);
        break;
      default:
        return null;
    }
    if (v == null || !Arrays.equals(v.shape(), shape) || !sharesMemory(v, x)) {
      return null;
    }
    return v;
  }

  private static int[] permutation(DifferentialFunction op, INDArray[] in) {
    if (in.length > 1) {
      return in[1].toIntVector();
    }
    long[] ia = ((DynamicCustomOp) op).iArgs();
    if (ia.length != in[0].rank()) {
      return null;
    }
    int[] d = new int[ia.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = (int) ia[i];
    }
    return d;
  }

  /** TensorFlow-style strided slice with positive strides, no ellipsis and no new axes. */
  private static INDArray slice(DynamicCustomOp op, INDArray[] in) {
    INDArray x = in[0];
    long[] ia = op.iArgs();
    if (ia.length < 5) {
      return null;
    }
    int beginMask = (int) ia[0];
    int ellipsisMask = (int) ia[1];
    int endMask = (int) ia[2];
    int newAxisMask = (int) ia[3];
    int shrinkMask = (int) ia[4];
    if (ellipsisMask != 0 || newAxisMask != 0) {
      return null;
    }
    long[] begin;
    long[] end;
    long[] strides;
    if (in.length == 4) {
      begin = in[1].toLongVector();
      end = in[2].toLongVector();
      strides = in[3].toLongVector();
    } else {
      int n = (ia.length - 5) / 3;
      if (n * 3 + 5 != ia.length) {
        return null;
      }
      begin = Arrays.copyOfRange(ia, 5, 5 + n);
      end = Arrays.copyOfRange(ia, 5 + n, 5 + 2 * n);
      strides = Arrays.copyOfRange(ia, 5 + 2 * n, 5 + 3 * n);
    }
    int rank = x.rank();
    if (begin.length > rank) {
      return null;
    }
    INDArrayIndex[] idx = new INDArrayIndex[rank];
    for (int d = 0; d < rank; d++) {
      long size = x.size(d);
      if (d >= begin.length) {
        idx[d] = NDArrayIndex.all();
        continue;
      }
      long s = strides[d];
      if (s <= 0) {
        return null;
      }
      long b = (beginMask >> d & 1) != 0 ? 0 : begin[d];
      if (b < 0) {
        b += size;
      }
      if ((shrinkMask >> d & 1) != 0) {
        if (b < 0 || b >= size) {
          return null;
        }
        idx[d] = NDArrayIndex.point(b);
        continue;
      }
      long e = (endMask >> d & 1) != 0 ? size : end[d];
      if (e < 0) {
        e += size;
      }
      b = Math.max(0, Math.min(b, size));
      e = Math.max(b, Math.min(e, size));
      if (e == b) {
        return null;
      }
      idx[d] = s == 1 ? NDArrayIndex.interval(b, e) : NDArrayIndex.interval(b, s, e);
    }
    return x.get(idx);
  }

  /**
   * Whether an array's elements lie densely in c order (sizes-1 dimensions may have any stride;
   * ND4J's own test refuses some such arrays).
   */
  public static boolean denseC(INDArray a) {
    return org.draft4j.engine.memory.RawMemory.denseC(a);
  }

  /** Whether v lies in x's memory (a view, not a copy). */
  static boolean sharesMemory(INDArray v, INDArray x) {
    return v == x || rootBuffer(v) == rootBuffer(x);
  }

  /** The buffer that owns an array's memory (its own buffer unless it is a view). */
  static org.nd4j.linalg.api.buffer.DataBuffer rootBuffer(INDArray a) {
    org.nd4j.linalg.api.buffer.DataBuffer b = a.data();
    while (b.originalDataBuffer() != null && b.originalDataBuffer() != b) {
      b = b.originalDataBuffer();
    }
    return b;
  }
}
