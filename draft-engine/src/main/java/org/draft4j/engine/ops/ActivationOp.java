package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An elementwise {@link Activation} {@code y = f(x)} as one op (exact GELU is one pass, not five). */
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
  public String opName() {
    return NAME;
  }

  @Override
  public int getNumOutputs() {
    return 1;
  }

  @Override
  public long[][] outputShapes(INDArray[] in) {
    return new long[][] {in[0].shape()};
  }

  @Override
  public Runnable bind(INDArray[] in, INDArray[] out) {
    Inputs ins = new Inputs(NAME, in);
    requireContiguous(NAME, out[0]);
    Activation act = Activation.values()[intArg(0)];
    return () -> {
      ins.refresh();
      GatedKernel.activation(ins.arrays[0], out[0], act);
    };
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    return List.of(new ActivationBackwardOp(sameDiff, arg(0), grads.get(0), Activation.values()[intArg(0)])
        .outputVariables()[0]);
  }
}
