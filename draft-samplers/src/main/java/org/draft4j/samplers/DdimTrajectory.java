package org.draft4j.samplers;

import java.util.List;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.Span;
import org.draft4j.spi.StepPenalty;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DDIM rollout: the inputs of its differentiated steps and its output. {@link #backward} walks
 * the differentiated steps last to first, {@code g ← dL/dx_i} by {@link DdimSampler#backwardStep},
 * and sums the steps' parameter gradients.
 */
final class DdimTrajectory implements Trajectory {
  private final DdimSampler sampler;
  private final Denoiser model;
  private final Conditioning cond;
  private final Span span;
  private final List<INDArray> inputs;
  private final INDArray output;

  DdimTrajectory(DdimSampler sampler, Denoiser model, Conditioning cond, Span span, List<INDArray> inputs,
      INDArray output) {
    this.sampler = sampler;
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
      Gradients s = sampler.backwardStep(model, cond, inputs.get(k), step, g, readOut, penalty);
      if (g != gradOutput) {
        DdimSampler.release(g);
      }
      g = s.input();
      params = params.accumulate(new Gradients(null, s.params()));
    }
    return new Gradients(g, params.params());
  }
}
