package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The vector-Jacobian product of {@link LayerNormOp}: inputs {@code x, γ, β, μ, r, dy}, outputs
 * {@code dx, dγ, dβ} ({@link LayerNormKernel} gives the math).
 */
public final class LayerNormBackwardOp extends FusedOp {
  public static final String NAME = "draft4j_layer_norm_bp";

  /** For SameDiff's copies. */
  public LayerNormBackwardOp() {
  }

  LayerNormBackwardOp(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, SDVariable mean, SDVariable rstd,
      SDVariable dy, long channels) {
    super(sd, new SDVariable[] {x, gamma, beta, mean, rstd, dy}, new long[] {channels}, new double[0]);
  }

  @Override
  public String opName() {
    return NAME;
  }

  @Override
  public int getNumOutputs() {
    return 3;
  }

  @Override
  public long[][] outputShapes(INDArray[] in) {
    return new long[][] {in[0].shape(), in[1].shape(), in[2].shape()};
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    Inputs ins = new Inputs(NAME, in);
    for (INDArray o : out) {
      requireContiguous(NAME, o);
    }
    int c = intArg(0);
    return () -> {
      ins.refresh();
      INDArray[] a = ins.arrays;
      LayerNormKernel.backward(a[0], a[1], a[3], a[4], a[5], out[0], out[1], out[2], c);
    };
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw new UnsupportedOperationException("second derivatives of layer norm are not supported");
  }
}
