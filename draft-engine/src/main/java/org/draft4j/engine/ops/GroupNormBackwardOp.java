package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The vector-Jacobian product of {@link GroupNormOp}: inputs {@code x, γ, β, μ, r, dy}, outputs
 * {@code dx, dγ, dβ} ({@link GroupNormKernel} gives the math).
 */
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
    GroupNormKernel.Geometry g = GroupNormKernel.Geometry.of(in[0], intArg(0));
    Activation act = Activation.values()[intArg(1)];
    return () -> {
      ins.refresh();
      INDArray[] a = ins.arrays;
      GroupNormKernel.backward(a[0], a[1], a[2], a[3], a[4], a[5], out[0], out[1], out[2], g, act);
    };
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw new UnsupportedOperationException("second derivatives of group norm are not supported");
  }
}
