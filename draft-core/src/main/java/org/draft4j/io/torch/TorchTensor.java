package org.draft4j.io.torch;

import java.util.Arrays;
import org.draft4j.io.SafetensorsDType;

/**
 * A tensor as {@code torch._utils._rebuild_tensor_v2} describes it, not yet read: a view of a
 * {@link TorchStorage} from element {@link #storageOffset()} with a shape and strides in elements
 * (non-contiguous views, shared storages, 0-d scalars and empty tensors included). Read its values
 * with {@link TorchFile#read}.
 */
public final class TorchTensor {
  private final TorchStorage storage;
  private final long storageOffset;
  private final long[] shape;
  private final long[] stride;
  private final boolean requiresGrad;
  private final boolean parameter;

  TorchTensor(TorchStorage storage, long storageOffset, long[] shape, long[] stride, boolean requiresGrad,
      boolean parameter) {
    this.storage = storage;
    this.storageOffset = storageOffset;
    this.shape = shape;
    this.stride = stride;
    this.requiresGrad = requiresGrad;
    this.parameter = parameter;
  }

  /** The same view as an {@code nn.Parameter}. */
  TorchTensor asParameter(boolean grad) {
    return new TorchTensor(storage, storageOffset, shape, stride, grad, true);
  }

  /** The storage this tensor views. */
  public TorchStorage storage() {
    return storage;
  }

  /** The element type on disk. */
  public SafetensorsDType dtype() {
    return storage.dtype();
  }

  /** The first element's index in the storage. */
  public long storageOffset() {
    return storageOffset;
  }

  /** The shape (empty for a 0-d scalar). */
  public long[] shape() {
    return shape.clone();
  }

  /** The strides in elements, one per dimension. */
  public long[] stride() {
    return stride.clone();
  }

  /** Whether it was saved with {@code requires_grad}. */
  public boolean requiresGrad() {
    return requiresGrad;
  }

  /** Whether it was saved as an {@code nn.Parameter}. */
  public boolean isParameter() {
    return parameter;
  }

  /** The element count (1 for a 0-d scalar); shapes whose product overflows are refused on open. */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Whether the elements lie in C order without gaps (dimensions of size 1 may have any stride). */
  public boolean isContiguous() {
    long expect = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && stride[i] != expect) {
        return false;
      }
      expect *= shape[i];
    }
    return true;
  }

  @Override
  public String toString() {
    return "tensor(" + dtype() + " " + Arrays.toString(shape) + ", stride " + Arrays.toString(stride) + ", storage \""
        + storage.key() + "\" + " + storageOffset + ")";
  }
}
