package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The gated linear unit {@code y = a·f(b)} of {@code p = [a | b]} split in halves along the last
 * dimension (diffusers' GEGLU with f = exact GELU), as one op. Input {@code p [..., 2F]}, output
 * {@code y [..., F]}.
 */
@FusedOp.Signature(name = GatedOp.NAME, outputs = 1)
public final class GatedOp extends FusedOp {
  public static final String NAME = "draft4j_gated";

  /** For SameDiff's copies. */
  public GatedOp() {
  }

  public GatedOp(SameDiff sd, SDVariable p, long half, Activation act) {
    super(sd, new SDVariable[] {p}, new long[] {half, act.ordinal()}, new double[0]);
  }

  /** Adds the op to {@code sd} and returns y. */
  public static SDVariable apply(SameDiff sd, SDVariable p, long half, Activation act) {
    return new GatedOp(sd, p, half, act).outputVariables()[0];
  }

  @Override
  public long[][] outputShapes(INDArray[] in) {
    GatedKernel.rows(in[0], intArg(0));
    long[] s = in[0].shape().clone();
    s[s.length - 1] = intArg(0);
    return new long[][] {s};
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    int f = intArg(0);
    Activation act = Activation.values()[intArg(1)];
    return bindKernel(in, out, (a, o) -> GatedKernel.gated(a[0], o[0], f, act));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    return List.of(new GatedBackwardOp(sameDiff, arg(0), grads.get(0), intArg(0), Activation.values()[intArg(1)])
        .outputVariables()[0]);
  }
}
