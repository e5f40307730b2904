package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The vector-Jacobian product of {@link GroupNormOp}: inputs {@code x, γ, β, μ, r, dy}, outputs
 * {@code dx, dγ, dβ} ({@link GroupNormKernel} gives the math).
 */
@FusedOp.Signature(name = GroupNormBackwardOp.NAME, outputs = 3)
public final class GroupNormBackwardOp extends FusedOp {
  public static final String NAME = "draft4j_group_norm_bp";

  /** For SameDiff's copies. */
  public GroupNormBackwardOp() {
  }

  GroupNormBackwardOp(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, SDVariable mean, SDVariable rstd,
      SDVariable dy, int groups, Activation act) {
    super(sd, new SDVariable[] {x, gamma, beta, mean, rstd, dy}, new long[] {groups, act.ordinal()}, new double[0]);
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    GroupNormKernel.Geometry g = GroupNormKernel.Geometry.of(in[0], intArg(0));
    Activation act = Activation.values()[intArg(1)];
    return bindKernel(in, out,
        (a, o) -> GroupNormKernel.backward(a[0], a[1], a[2], a[3], a[4], a[5], o[0], o[1], o[2], g, act));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw noSecondDerivative("group norm");
  }
}
