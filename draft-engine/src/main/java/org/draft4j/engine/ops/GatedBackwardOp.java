package org.draft4j.engine.ops;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The vector-Jacobian product of {@link GatedOp}: inputs {@code p, dy}, output {@code dp}. */
public final class GatedBackwardOp extends FusedOp {
  public static final String NAME = "draft4j_gated_bp";

  /** For SameDiff's copies. */
  public GatedBackwardOp() {
  }

  GatedBackwardOp(SameDiff sd, SDVariable p, SDVariable dy, long half, Activation act) {
    super(sd, new SDVariable[] {p, dy}, new long[] {half, act.ordinal()}, new double[0]);
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
    int f = intArg(0);
    Activation act = Activation.values()[intArg(1)];
    return () -> {
      ins.refresh();
      GatedKernel.gatedBackward(ins.arrays[0], ins.arrays[1], out[0], f, act);
    };
  }

  @Override
  public List<SDVariable> doDiff(List<SDVariable> grads) {
    throw new UnsupportedOperationException("second derivatives of the gated unit are not supported");
  }
}
