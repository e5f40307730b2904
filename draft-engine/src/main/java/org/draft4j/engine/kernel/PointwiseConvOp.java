package org.draft4j.engine.kernel;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import sun.misc.Unsafe;

/**
 * A 1×1 convolution (stride 1, no padding, NCHW data, {@code [1, 1, Cin, Cout]} weights) run as one
 * matrix product per sample, with {@code x_b} and {@code y_b} the sample's {@code [C, H·W]} planes and
 * {@code W} the weights' {@code [Cin, Cout]} view:
 *
 * <pre>
 *   forward          y_b  = Wᵀ·x_b + bias     (bias written first, GEMM with β = 1)
 *   input gradient   dx_b = W·dy_b
 * </pre>
 *
 * oneDNN's convolution spends two to three times longer than BLAS's GEMM on these shapes (it
 * reorders data and weights around a small kernel). Made by {@link Rewrites} while tracing; never
 * part of a SameDiff graph.
 */
public final class PointwiseConvOp extends DynamicCustomOp implements JavaOp {
  private static final Unsafe U = org.draft4j.engine.memory.RawMemory.unsafe();

  private final boolean inputGradient;
  private final boolean hasBias;

  /**
   * @param inputGradient false: inputs {@code x, W[, bias]}, output y; true: inputs {@code dy, W},
   *     output dx
   * @param hasBias whether a bias is the third input (forward only)
   */
  public PointwiseConvOp(boolean inputGradient, boolean hasBias) {
    this.inputGradient = inputGradient;
    this.hasBias = hasBias && !inputGradient;
  }

  @Override
  public String opName() {
    return inputGradient ? "draft4j_pointwise_conv_bp" : "draft4j_pointwise_conv";
  }

  /** Whether these arrays fit: float, x dense in c order, weights {@code [1, 1, Cin, Cout]} matching x. */
  public static boolean applies(INDArray x, INDArray w, boolean inputGradient) {
    if (x.dataType() != DataType.FLOAT || w.dataType() != DataType.FLOAT || x.rank() != 4 || w.rank() != 4
        || w.size(0) != 1 || w.size(1) != 1 || !Views.denseC(x)) {
      return false;
    }
    long c = inputGradient ? w.size(3) : w.size(2);
    return x.size(1) == c && x.size(2) * x.size(3) <= Integer.MAX_VALUE;
  }

  @Override
  public long[][] outputShapes(INDArray[] in) {
    INDArray x = in[0];
    INDArray w = in[1];
    long c = inputGradient ? w.size(2) : w.size(3);
    return new long[][] {{x.size(0), c, x.size(2), x.size(3)}};
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    INDArray x = in[0];
    INDArray w = in[1];
    INDArray y = out[0];
    if (!applies(x, w, inputGradient) || !Views.denseC(y) || y.dataType() != DataType.FLOAT) {
      throw new IllegalStateException(opName() + ": arrays no longer fit the 1x1 GEMM form: x " + x.shapeInfoToString()
          + ", w " + w.shapeInfoToString() + ", y " + y.shapeInfoToString());
    }
    int batch = (int) x.size(0);
    long inC = x.size(1);
    long outC = y.size(1);
    long plane = x.size(2) * x.size(3);
    long s0 = w.stride(2);
    long s1 = w.stride(3);
    char order = s1 == 1 ? 'c' : 'f';
    INDArray w2 = Nd4j.create(w.data(), new long[] {w.size(2), w.size(3)}, new long[] {s0, s1}, w.offset(), order);
    DynamicCustomOp mm = DynamicCustomOp.builder("matmul").addIntegerArguments(inputGradient ? 0 : 1, 0, 0)
        .addFloatingPointArguments(1.0, hasBias ? 1.0 : 0.0).build();
    Kernel[] gemms = new Kernel[batch];
    for (int b = 0; b < batch; b++) {
      INDArray xb = Nd4j.create(x.data(), new long[] {inC, plane}, new long[] {plane, 1}, x.offset() + b * inC * plane,
          'c');
      INDArray yb = Nd4j.create(y.data(), new long[] {outC, plane}, new long[] {plane, 1}, y.offset() + b * outC * plane,
          'c');
      gemms[b] = new Kernels.CustomKernel(mm, new INDArray[] {w2, xb}, new INDArray[] {yb});
    }
    if (!hasBias) {
      return () -> {
        for (Kernel k : gemms) {
          k.run();
        }
      };
    }
    INDArray bias = in[2];
    if (bias.length() != outC || bias.dataType() != DataType.FLOAT) {
      throw new IllegalStateException(opName() + ": bias " + bias.shapeInfoToString() + " for " + outC + " channels");
    }
    long biasStride = bias.rank() == 0 ? 1 : bias.stride(bias.rank() - 1);
    long biasAddress = bias.data().addressPointer().address();
    long yAddress = y.data().addressPointer().address();
    Object[] keep = {x, w, y, bias, w2};
    int planeLength = (int) plane;
    return () -> {
      for (int b = 0; b < batch; b++) {
        for (long c = 0; c < outC; c++) {
          float v = U.getFloat(biasAddress + 4 * c * biasStride);
          long at = yAddress + 4 * ((b * outC + c) * plane);
          fill(at, planeLength, v);
        }
        gemms[b].run();
      }
      java.lang.ref.Reference.reachabilityFence(keep);
    };
  }

  private static void fill(long address, int n, float v) {
    int bits = Float.floatToRawIntBits(v);
    long pair = (bits & 0xFFFFFFFFL) | ((long) bits << 32);
    int i = 0;
    for (; i + 1 < n; i += 2) {
      U.putLong(address + 4L * i, pair);
    }
    if (i < n) {
      U.putFloat(address + 4L * i, v);
    }
  }
}
