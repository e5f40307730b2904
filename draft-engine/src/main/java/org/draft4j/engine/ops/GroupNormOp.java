package org.draft4j.engine.ops;

import java.util.Arrays;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code y = f(GroupNorm(x)·γ + β)} as one op ({@link GroupNormKernel} gives the math), with the
 * per-group mean and inverse standard deviation as extra outputs for the backward pass.
 * Inputs {@code x [B, C, ...], γ [C], β [C]}; outputs {@code y} (x's shape), {@code μ [B, G]},
 * {@code r [B, G]}.
 */
@FusedOp.Signature(name = GroupNormOp.NAME, outputs = 3)
public final class GroupNormOp extends FusedOp {
  public static final String NAME = "draft4j_group_norm";

  /** For SameDiff's copies. */
  public GroupNormOp() {
  }

  public GroupNormOp(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, int groups, double eps,
      Activation act) {
    super(sd, new SDVariable[] {x, gamma, beta}, new long[] {groups, act.ordinal()}, new double[] {eps});
  }

  /** Adds the op to {@code sd} and returns y. */
  public static SDVariable apply(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, int groups, double eps,
      Activation act) {
    return new GroupNormOp(sd, x, gamma, beta, groups, eps, act).outputVariables()[0];
  }

  int groups() {
    return intArg(0);
  }

  Activation activation() {
    return Activation.values()[intArg(1)];
  }

  double eps() {
    return doubleArg(0);
  }

  @Override
  public long[][] outputShapes(INDArray[] in) {
    GroupNormKernel.Geometry g = GroupNormKernel.Geometry.of(in[0], groups());
    long[] stats = {g.batch(), g.groups()};
    return new long[][] {in[0].shape(), stats, stats.clone()};
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    GroupNormKernel.Geometry g = GroupNormKernel.Geometry.of(in[0], groups());
    double eps = eps();
    Activation act = activation();
    return bindKernel(in, out, (a, o) -> GroupNormKernel.forward(a[0], a[1], a[2], o[0], o[1], o[2], g, eps, act));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    SDVariable[] outs = outputVariables();
    SDVariable[] args = args();
    return Arrays.asList(new GroupNormBackwardOp(sameDiff, args[0], args[1], args[2], outs[1], outs[2], grads.get(0),
        groups(), activation()).outputVariables());
  }
}
