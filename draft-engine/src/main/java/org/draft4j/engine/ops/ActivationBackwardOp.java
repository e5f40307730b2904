package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The vector-Jacobian product of {@link ActivationOp}: {@code dx = dy·f'(x)}. */
public final class ActivationBackwardOp extends FusedOp {
  public static final String NAME = "draft4j_activation_bp";

  /** For SameDiff's copies. */
  public ActivationBackwardOp() {
  }

  ActivationBackwardOp(SameDiff sd, SDVariable x, SDVariable dy, Activation act) {
    super(sd, new SDVariable[] {x, dy}, new long[] {act.ordinal()}, new double[0]);
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
      GatedKernel.activationBackward(ins.arrays[0], ins.arrays[1], out[0], act);
    };
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw new UnsupportedOperationException("second derivatives of activations are not supported");
  }
}
