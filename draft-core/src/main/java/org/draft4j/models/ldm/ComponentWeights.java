package org.draft4j.models.ldm;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.draft4j.io.TensorStore;
import org.draft4j.nn.Parameters;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One component's weights in a single-file checkpoint. First every check, on names and shapes only:
 * each key under the component's prefix must map to a parameter the config needs (else it is
 * unexpected), each needed parameter must have its key (else it is missing) of the shape the config
 * gives. Then the tensors are read key by key into a strict {@link Parameters} under diffusers'
 * names, so a failing file reads no tensor and nothing is held twice.
 */
final class ComponentWeights {
  private final Map<String, String> keys;
  private final Map<String, long[]> shapes;

  private ComponentWeights(Map<String, String> keys, Map<String, long[]> shapes) {
    this.keys = keys;
    this.shapes = shapes;
  }

  /**
   * Checks a component's keys and shapes (no tensor is read) and returns what to read.
   *
   * @param component what the keys are, for messages ("UNet")
   * @param prefix the component's key prefix in the file
   * @param expected diffusers name to shape, as the config needs them
   * @param toDiffusers a key with {@code prefix} removed to its diffusers name, or null
   * @param ignored keys (prefix removed) that are not weights
   * @param sourceKey the file key a diffusers parameter is read from
   * @param fileShape the shape that file key must have, given the diffusers shape
   */
  static ComponentWeights check(TensorStore s, String component, String prefix, Map<String, long[]> expected,
      Function<String, String> toDiffusers, Predicate<String> ignored, Function<String, String> sourceKey,
      BiFunction<String, long[], long[]> fileShape) {
    String src = s.source();
    for (String k : s.keys()) {
      if (!k.startsWith(prefix) || ignored.test(k.substring(prefix.length()))) {
        continue;
      }
      String d = toDiffusers.apply(k.substring(prefix.length()));
      checkArgument(d != null && expected.containsKey(d), "%s: unexpected key \"%s\" (shape %s): no %s parameter of"
          + " this SD 1.x config maps from it", src, k, Arrays.toString(s.shape(k)), component);
    }
    Map<String, String> keys = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      String k = sourceKey.apply(e.getKey());
      long[] want = fileShape.apply(k, e.getValue());
      checkArgument(s.contains(k), "%s: missing key \"%s\" (%s parameter %s, expected shape %s)", src, k, component,
          e.getKey(), Arrays.toString(want));
      checkArgument(Arrays.equals(s.shape(k), want), "%s: key \"%s\" has shape %s, expected %s (%s parameter %s)",
          src, k, Arrays.toString(s.shape(k)), Arrays.toString(want), component, e.getKey());
      keys.put(e.getKey(), k);
    }
    return new ComponentWeights(keys, expected);
  }

  /**
   * Reads the checked tensors one at a time, as float32 in the diffusers shapes, into a strict store;
   * a NaN or infinite element is an error naming the file and the key.
   */
  Parameters read(TensorStore s) {
    Map<String, INDArray> arrays = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : keys.entrySet()) {
      INDArray a = TensorStore.requireFinite(s.source(e.getValue()), e.getValue(), s.get(e.getValue()));
      long[] shape = shapes.get(e.getKey());
      arrays.put(e.getKey(), Arrays.equals(a.shape(), shape) ? a : a.reshape('c', shape));
    }
    return Parameters.of(arrays, s.source());
  }
}
