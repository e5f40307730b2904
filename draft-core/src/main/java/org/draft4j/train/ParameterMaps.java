package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Copies and in-place assignments of parameter maps (name → array), checked by name and shape. */
final class ParameterMaps {
  private ParameterMaps() {}

  /** A copy of every array, in the map's order. */
  static Map<String, INDArray> copy(Map<String, INDArray> params) {
    Map<String, INDArray> copy = new LinkedHashMap<>();
    params.forEach((k, v) -> copy.put(k, v.dup()));
    return copy;
  }

  /**
   * Assigns {@code values} into {@code params} in place.
   *
   * @throws IllegalArgumentException naming a parameter that is missing, unknown or of another shape
   */
  static void assign(Map<String, INDArray> params, Map<String, INDArray> values, String what) {
    checkArgument(values.keySet().equals(params.keySet()), "%s: names %s differ from this trainer's %s", what,
        values.keySet(), params.keySet());
    params.forEach((k, a) -> {
      INDArray v = values.get(k);
      checkArgument(Arrays.equals(v.shape(), a.shape()), "%s: %s has shape %s, this trainer's is %s", what, k,
          Arrays.toString(v.shape()), Arrays.toString(a.shape()));
      a.assign(v);
    });
  }
}
