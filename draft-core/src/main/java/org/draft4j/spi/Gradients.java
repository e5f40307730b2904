package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a backward pass returns: {@code dL/dx} for the input it started from and {@code dL/dθ} for
 * each trainable parameter it reached (keyed like {@link Denoiser#trainableParameters()}; a
 * parameter it did not reach is absent, meaning zero). A value handed from callee to caller: the
 * caller owns the arrays and sums gradients of several passes with {@link #accumulate}.
 *
 * @param input {@code dL/dx} of the pass's input (null where the pass has no input gradient)
 * @param params {@code dL/dθ} by parameter name (unmodifiable)
 */
public record Gradients(INDArray input, Map<String, INDArray> params) {
  public Gradients {
    params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
  }

  /** No gradient at all. */
  public static Gradients none() {
    return new Gradients(null, Map.of());
  }

  /** The gradient of parameter {@code name}, or null where the pass did not reach it. */
  public INDArray param(String name) {
    return params.get(name);
  }

  /**
   * The sum of this and {@code other}: adds {@code other}'s arrays into this value's arrays where
   * both have a parameter (this value's arrays are reused, {@code other}'s added ones freed) and
   * takes {@code other}'s arrays for parameters only it has. Input gradients are summed the same
   * way. Both passes must be of the same parameters' shapes.
   */
  public Gradients accumulate(Gradients other) {
    Map<String, INDArray> sum = new LinkedHashMap<>(params);
    other.params.forEach((k, g) -> {
      INDArray acc = sum.get(k);
      if (acc == null) {
        sum.put(k, g);
      } else {
        checkArgument(java.util.Arrays.equals(acc.shape(), g.shape()), "gradient of %s: shape %s differs from %s", k,
            java.util.Arrays.toString(g.shape()), java.util.Arrays.toString(acc.shape()));
        acc.addi(g);
        release(g);
      }
    });
    INDArray in = input == null ? other.input : other.input == null ? input : input.addi(other.input);
    if (input != null && other.input != null) {
      release(other.input);
    }
    return new Gradients(in, sum);
  }

  /** Frees every array of this value (views and already-closed arrays are skipped). */
  public void release() {
    params.values().forEach(Gradients::release);
    release(input);
  }

  private static void release(INDArray a) {
    if (a != null && !a.wasClosed() && a.closeable()) {
      a.close();
    }
  }
}
