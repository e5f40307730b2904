package org.draft4j.engine.ops;

/**
 * The activations fused into draft4j ops, applied to array ranges (one loop per kind, so the JIT
 * vectorizes each): float through {@link FastMath}'s approximations, double exactly. Every array in
 * a loop is read at the same index: with differing offsets the JIT must assume the arrays may
 * overlap and does not vectorize (about 10× slower).
 */
public enum Activation {
  /** Identity. */
  NONE,
  /** SiLU (swish): {@code x·σ(x)}, derivative {@code σ(x)(1 + x(1 − σ(x)))}. */
  SILU,
  /** Exact GELU: {@code x·Φ(x) = ½x(1 + erf(x/√2))}, derivative {@code Φ(x) + x·φ(x)}. */
  GELU,
  /** CLIP's quick GELU: {@code x·σ(1.702x)}, derivative {@code σ(1.702x)(1 + 1.702x(1 − σ(1.702x)))}. */
  QUICK_GELU;

  /** {@code y[i] = f(x[i])} for i in [from, to) (x and y may be the same array). */
  void apply(float[] x, float[] y, int from, int to) {
    switch (this) {
      case NONE -> {
        if (x != y) {
          System.arraycopy(x, from, y, from, to - from);
        }
      }
      case SILU -> ActivationLoops.silu(x, y, from, to);
      case GELU -> ActivationLoops.gelu(x, y, from, to);
      default -> ActivationLoops.quickGelu(x, y, from, to);
    }
  }

  /** {@code g[i] = dy[i]·f'(x[i])} for i in [from, to) (g may be dy). */
  void backward(float[] x, float[] dy, float[] g, int from, int to) {
    switch (this) {
      case NONE -> {
        if (dy != g) {
          System.arraycopy(dy, from, g, from, to - from);
        }
      }
      case SILU -> ActivationLoops.siluBackward(x, dy, g, from, to);
      case GELU -> ActivationLoops.geluBackward(x, dy, g, from, to);
      default -> ActivationLoops.quickGeluBackward(x, dy, g, from, to);
    }
  }

  /** f(x) in double. */
  double apply(double x) {
    return switch (this) {
      case NONE -> x;
      case SILU -> x / (1 + Math.exp(-x));
      case GELU -> 0.5 * x * (1 + FastMath.erf(x / Math.sqrt(2)));
      case QUICK_GELU -> x / (1 + Math.exp(-1.702 * x));
    };
  }

  /** f'(x) in double. */
  double derivative(double x) {
    switch (this) {
      case NONE:
        return 1;
      case SILU: {
        double s = 1 / (1 + Math.exp(-x));
        return s * (1 + x * (1 - s));
      }
      case GELU:
        return 0.5 * (1 + FastMath.erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      default: {
        double s = 1 / (1 + Math.exp(-1.702 * x));
        return s * (1 + 1.702 * x * (1 - s));
      }
    }
  }
}
