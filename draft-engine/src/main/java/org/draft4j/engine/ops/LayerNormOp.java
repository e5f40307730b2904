package org.draft4j.engine.ops;

import java.util.Arrays;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code y = LayerNorm(x)·γ + β} over the last dimension as one op ({@link LayerNormKernel} gives
 * the math). Inputs {@code x [..., C], γ [C], β [C]}; outputs {@code y}, the row means and inverse
 * standard deviations (for the backward pass).
 */
@FusedOp.Signature(name = LayerNormOp.NAME, outputs = 3)
public final class LayerNormOp extends FusedOp {
  public static final String NAME = "draft4j_layer_norm";

  /** For SameDiff's copies. */
  public LayerNormOp() {
  }

  public LayerNormOp(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, long channels, double eps) {
    super(sd, new SDVariable[] {x, gamma, beta}, new long[] {channels}, new double[] {eps});
  }

  /** Adds the op to {@code sd} and returns y. */
  public static SDVariable apply(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, long channels,
      double eps) {
    return new LayerNormOp(sd, x, gamma, beta, channels, eps).outputVariables()[0];
  }

  @Override
  public long[][] outputShapes(INDArray[] in) {
    int rows = LayerNormKernel.rows(in[0], intArg(0));
    return new long[][] {in[0].shape(), {rows}, {rows}};
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    int c = intArg(0);
    double eps = doubleArg(0);
    return bindKernel(in, out, (a, o) -> LayerNormKernel.forward(a[0], a[1], a[2], o[0], o[1], o[2], c, eps));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    SDVariable[] outs = outputVariables();
    SDVariable[] args = args();
    return Arrays.asList(new LayerNormBackwardOp(sameDiff, args[0], args[1], args[2], outs[1], outs[2], grads.get(0),
        intArg(0)).outputVariables());
  }
}
