package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The vector-Jacobian product of {@link LayerNormOp}: inputs {@code x, γ, β, μ, r, dy}, outputs
 * {@code dx, dγ, dβ} ({@link LayerNormKernel} gives the math).
 */
@FusedOp.Signature(name = LayerNormBackwardOp.NAME, outputs = 3)
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
  public Runnable bind(INDArray[] in, INDArray[] out) {
    int c = intArg(0);
    return bindKernel(in, out, (a, o) -> LayerNormKernel.backward(a[0], a[1], a[3], a[4], a[5], o[0], o[1], o[2], c));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw noSecondDerivative("layer norm");
  }
}
