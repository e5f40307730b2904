package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The vector-Jacobian product of {@link ActivationOp}: {@code dx = dy·f'(x)}. */
@FusedOp.Signature(name = ActivationBackwardOp.NAME, outputs = 1)
public final class ActivationBackwardOp extends FusedOp {
  public static final String NAME = "draft4j_activation_bp";

  /** For SameDiff's copies. */
  public ActivationBackwardOp() {
  }

  ActivationBackwardOp(SameDiff sd, SDVariable x, SDVariable dy, Activation act) {
    super(sd, new SDVariable[] {x, dy}, new long[] {act.ordinal()}, new double[0]);
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    Activation act = Activation.values()[intArg(0)];
    return bindKernel(in, out, (a, o) -> GatedKernel.activationBackward(a[0], a[1], o[0], act));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw noSecondDerivative("activations");
  }
}
