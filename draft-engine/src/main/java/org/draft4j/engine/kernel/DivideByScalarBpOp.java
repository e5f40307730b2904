package org.draft4j.engine.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gradient of {@code z = x / y} when {@code y} holds one element and {@code x} more:
 *
 * <pre>
 *   dx = g / y          dy = −Σ(g·x) / y²
 * </pre>
 *
 * ND4J 1.0.0-M2.1's {@code divide_bp} gets dy wrong in exactly this case (measured: −321 where the
 * formula gives −4.96 for x of shape [1, 64] and y of shape [1, 1]); it is how a per-image norm
 * {@code x / ‖x‖} looks at batch size 1, so every reward that normalizes features had a wrong
 * gradient at batch 1 before this replacement. Made by {@link Rewrites} while tracing.
 */
public final class DivideByScalarBpOp extends DynamicCustomOp implements JavaOp {
  @Override
  public String opName() {
    return "draft4j_divide_by_scalar_bp";
  }

  /** Whether {@code divide_bp(x, y, g)} is the broken case. */
  public static boolean applies(INDArray x, INDArray y) {
    return y.length() == 1 && x.length() > 1 && x.dataType().isFPType() && y.dataType() == x.dataType();
  }

  @Override
  public long[][] outputShapes(INDArray[] in) {
    return new long[][] {in[0].shape(), in[1].shape()};
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    INDArray x = in[0];
    INDArray y = in[1];
    INDArray g = in[2];
    INDArray dx = out[0];
    INDArray dy = out[1];
    INDArray product = Nd4j.createUninitialized(x.dataType(), g.shape(), 'c');
    INDArray sum = Nd4j.scalar(x.dataType(), 0.0);
    Kernel divide = dx == null ? null : new Kernels.CustomKernel(DynamicCustomOp.builder("divide").build(),
        new INDArray[] {g, y}, new INDArray[] {dx});
    Kernel multiply = dy == null ? null : new Kernels.CustomKernel(DynamicCustomOp.builder("multiply").build(),
        new INDArray[] {g, x}, new INDArray[] {product});
    Kernel reduce = dy == null ? null : new Kernels.CustomKernel(DynamicCustomOp.builder("reduce_sum").build(),
        new INDArray[] {product}, new INDArray[] {sum});
    return () -> {
      if (divide != null) {
        divide.run();
      }
      if (dy != null) {
        multiply.run();
        reduce.run();
        double v = y.getDouble(0);
        dy.assign(-sum.getDouble(0) / (v * v));
      }
    };
  }
}
