package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The vector-Jacobian product of {@link GatedOp}: inputs {@code p, dy}, output {@code dp}. */
@FusedOp.Signature(name = GatedBackwardOp.NAME, outputs = 1)
public final class GatedBackwardOp extends FusedOp {
  public static final String NAME = "draft4j_gated_bp";

  /** For SameDiff's copies. */
  public GatedBackwardOp() {
  }

  GatedBackwardOp(SameDiff sd, SDVariable p, SDVariable dy, long half, Activation act) {
    super(sd, new SDVariable[] {p, dy}, new long[] {half, act.ordinal()}, new double[0]);
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    int f = intArg(0);
    Activation act = Activation.values()[intArg(1)];
    return bindKernel(in, out, (a, o) -> GatedKernel.gatedBackward(a[0], a[1], o[0], f, act));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw noSecondDerivative("the gated unit");
  }
}
