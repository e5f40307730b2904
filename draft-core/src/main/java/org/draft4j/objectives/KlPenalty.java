package org.draft4j.objectives;

import java.util.function.Supplier;
import org.draft4j.spi.StepPenalty;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DRaFT+'s penalty as NeMo-Aligner computes it: {@code KL = mean_k Σ(ε_ft − ε_ref)² / numel(ε)} over
 * the K differentiated steps, the reference being the same network with adapters off on the adapted
 * model's own trajectory (no gradient). Its cotangent on ε_ft is {@code c·2(ε_ft − ε_ref)/(numel·K)}.
 */
final class KlPenalty implements StepPenalty {
  private final double coeff;
  private final int k;
  private double sum;

  KlPenalty(double coeff, int k) {
    this.coeff = coeff;
    this.k = k;
  }

  @Override
  public INDArray cotangent(int step, INDArray x, INDArray guidedOutput, Supplier<INDArray> reference) {
    INDArray diff = guidedOutput.sub(reference.get());
    double numel = diff.length();
    sum += diff.mul(diff).sumNumber().doubleValue() / numel / k;
    return diff.muli(2.0 * coeff / (numel * k));
  }

  double value() {
    return sum;
  }
}
