package org.draft4j.engine.memory;

import java.util.EnumMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The scratch memory of one worker: one growable native buffer per data type, in which every plan
 * run by that worker places its intermediate tensors at offsets fixed when the plan was made. Plans
 * run one after another on a worker, so they share the buffer; a plan that finds the buffer
 * reallocated (a larger plan ran in between) rebinds its views before it runs.
 */
public final class Arena implements AutoCloseable {
  private final Map<DataType, INDArray> buffers = new EnumMap<>(DataType.class);
  private long generation;

  /**
   * A buffer of at least {@code elements} elements of type {@code type}; growing it frees the old
   * buffer and bumps {@link #generation()}.
   */
  public synchronized INDArray buffer(DataType type, long elements) {
    INDArray b = buffers.get(type);
    if (b == null || b.length() < elements) {
      if (b != null) {
        b.close();
      }
      b = Nd4j.createUninitialized(type, Math.max(1, elements));
      buffers.put(type, b);
      generation++;
    }
    return b;
  }

  /** Changes whenever a buffer is replaced; views made before a change are invalid. */
  public synchronized long generation() {
    return generation;
  }

  /** Bytes held. */
  public synchronized long bytes() {
    long n = 0;
    for (INDArray b : buffers.values()) {
      n += b.length() * b.dataType().width();
    }
    return n;
  }

  /** Frees every buffer (the next plan that runs reallocates). */
  @Override
  public synchronized void close() {
    for (INDArray b : buffers.values()) {
      b.close();
    }
    buffers.clear();
    generation++;
  }
}
