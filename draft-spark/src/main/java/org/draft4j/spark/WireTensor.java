package org.draft4j.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An array as it travels between the driver and the executors: its shape and its values as float
 * in C order, in plain Java arrays (what Spark serializes). Made from an array on one side and an
 * array again on the other, the values unchanged.
 *
 * @param shape the array's shape
 * @param values the elements in C order
 */
record WireTensor(long[] shape, float[] values) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A copy of {@code a} (cast to float). */
  static WireTensor of(INDArray a) {
    return new WireTensor(a.shape(), a.castTo(DataType.FLOAT).dup('c').data().asFloat());
  }

  /** A new array with these values. */
  INDArray toArray() {
    return Nd4j.create(values, shape, 'c');
  }

  /** Copies of the arrays, by name, in the map's order. */
  static Map<String, WireTensor> of(Map<String, INDArray> arrays) {
    Map<String, WireTensor> t = new LinkedHashMap<>();
    arrays.forEach((k, v) -> t.put(k, of(v)));
    return t;
  }

  /** New arrays of the tensors, by name, in the map's order. */
  static Map<String, INDArray> arrays(Map<String, WireTensor> tensors) {
    Map<String, INDArray> a = new LinkedHashMap<>();
    tensors.forEach((k, v) -> a.put(k, v.toArray()));
    return a;
  }
}
