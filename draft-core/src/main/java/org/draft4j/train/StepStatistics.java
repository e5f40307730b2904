package org.draft4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What one training step measured, folded from its micro-batches in micro-batch order: the loss and
 * the objective's extra metrics (each micro-batch's value times its weight {@code micro / global}),
 * and the rewards and reward terms of every sample of the global batch, reported as means and
 * standard deviations in the step's {@link StepMetrics}.
 */
final class StepStatistics {
  private final double weight;
  private double loss;
  private final List<INDArray> rewards = new ArrayList<>();
  private final Map<String, List<INDArray>> terms = new LinkedHashMap<>();
  private final Map<String, Double> extra = new LinkedHashMap<>();

  /** @param weight each micro-batch's share of the step, {@code micro / global} */
  StepStatistics(double weight) {
    this.weight = weight;
  }

  /** Adds the next micro-batch (its rewards and terms are kept, as float, until {@link #metrics}). */
  void add(MicroBatchResult r) {
    loss += r.loss() * weight;
    rewards.add(r.rewards().castTo(DataType.FLOAT));
    r.terms().forEach((k, v) -> terms.computeIfAbsent(k, x -> new ArrayList<>()).add(v.castTo(DataType.FLOAT)));
    r.metrics().forEach((k, v) -> extra.merge(k, v * weight, Double::sum));
  }

  /** The step's loss so far: the weighted sum of the micro-batches' losses. */
  double loss() {
    return loss;
  }

  /**
   * The step's metrics, with what the trainer measured around the micro-batches.
   *
   * @param step the 1-based step just completed
   * @param target the {@code fit} call's target step
   * @param gradNorm the gradient norm before clipping (NaN when the update was skipped)
   * @param learningRate the learning rate of the step
   * @param startNanos {@link System#nanoTime()} at the step's start (the step's wall time ends now)
   * @param skipped whether the update was skipped
   */
  StepMetrics metrics(long step, long target, double gradNorm, double learningRate, long startNanos,
      boolean skipped) {
    INDArray all = Nd4j.concat(0, rewards.toArray(new INDArray[0]));
    Map<String, Double> means = new LinkedHashMap<>();
    terms.forEach((k, v) -> {
      INDArray a = Nd4j.concat(0, v.toArray(new INDArray[0]));
      means.put(k, a.meanNumber().doubleValue());
      means.put(k + "/std", a.length() > 1 ? a.stdNumber().doubleValue() : 0.0);
    });
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    return new StepMetrics(step, target, loss, all.meanNumber().doubleValue(),
        all.length() > 1 ? all.stdNumber().doubleValue() : 0.0, means, extra, gradNorm, learningRate, seconds,
        Memory.residentBytes(), skipped);
  }
}
