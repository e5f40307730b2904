package org.draft4j.testing;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Comparisons of parameter-gradient maps, for the objective tests over any sampler. */
public final class GradientMaps {
  private GradientMaps() {}

  /** {@code max_k max|a_k − b_k| / max_k max|a_k|} over the keys of {@code a} (scale at least 1e-12). */
  public static double maxRelDiff(Map<String, INDArray> a, Map<String, INDArray> b) {
    double scale = 1e-12;
    double diff = 0;
    for (String k : a.keySet()) {
      scale = Math.max(scale, Transforms.abs(a.get(k)).maxNumber().doubleValue());
      diff = Math.max(diff, Transforms.abs(a.get(k).sub(b.get(k))).maxNumber().doubleValue());
    }
    return diff / scale;
  }
}
