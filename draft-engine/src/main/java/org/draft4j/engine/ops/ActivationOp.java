package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An elementwise {@link Activation} {@code y = f(x)} as one op (exact GELU is one pass, not five). */
@FusedOp.Signature(name = ActivationOp.NAME, outputs = 1)
public final class ActivationOp extends FusedOp {
  public static final String NAME = "draft4j_activation";

  /** For SameDiff's copies. */
  public ActivationOp() {
  }

  public ActivationOp(SameDiff sd, SDVariable x, Activation act) {
    super(sd, new SDVariable[] {x}, new long[] {act.ordinal()}, new double[0]);
  }

  /** Adds the op to {@code sd} and returns y. */
  public static SDVariable apply(SameDiff sd, SDVariable x, Activation act) {
    return new ActivationOp(sd, x, act).outputVariables()[0];
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    Activation act = Activation.values()[intArg(0)];
    return bindKernel(in, out, (a, o) -> GatedKernel.activation(a[0], o[0], act));
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    return List.of(new ActivationBackwardOp(sameDiff, arg(0), grads.get(0), Activation.values()[intArg(0)])
        .outputVariables()[0]);
  }
}
