package org.draft4j.sampling;

import java.util.List;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.Span;
import org.draft4j.spi.StepPenalty;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A rollout of a {@link Chain}: the inputs of its differentiated steps and its output.
 * {@link #backward} walks the differentiated steps last to first, {@code g ← dL/dx_i} by the
 * chain's step backward, and sums the steps' parameter gradients.
 */
final class ChainTrajectory implements Trajectory {
  private final Chain chain;
  private final Denoiser model;
  private final Conditioning cond;
  private final Span span;
  private final List<INDArray> inputs;
  private final INDArray output;

  ChainTrajectory(Chain chain, Denoiser model, Conditioning cond, Span span, List<INDArray> inputs, INDArray output) {
    this.chain = chain;
    this.model = model;
    this.cond = cond;
    this.span = span;
    this.inputs = inputs;
    this.output = output;
  }

  @Override
  public Span span() {
    return span;
  }

  @Override
  public INDArray output() {
    return output;
  }

  @Override
  public Gradients backward(INDArray gradOutput, StepPenalty penalty) {
    INDArray g = gradOutput;
    Gradients params = Gradients.none();
    for (int k = inputs.size() - 1; k >= 0; k--) {
      int step = span.differentiateFrom() + k;
      boolean readOut = span.predictX0() && step == span.to() - 1;
      Gradients s = chain.backwardStep(model, cond, inputs.get(k), step, g, readOut, penalty);
      if (g != gradOutput) {
        Release.of(g);
      }
      g = s.input();
      params = params.accumulate(new Gradients(null, s.params()));
    }
    return new Gradients(g, params.params());
  }
}
