package org.draft4j.train;

import java.util.Map;
import org.draft4j.optim.Optimizer;
import org.draft4j.optim.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One optimizer step of the trainer: every micro-batch, computed here or on the data-parallel
 * workers, folded into the gradient sum in micro-batch order (the same float operations wherever it
 * ran), {@code g = Σ_mb (micro/global)·g_mb}; then the update if loss and gradients are finite, and
 * the moving average after it.
 */
final class OptimizerStep {
  private static final Logger LOG = LoggerFactory.getLogger(OptimizerStep.class);

  private final MicroBatches microBatches;
  private final DataParallel dataParallel;
  private final GradientSum gradients;
  private final Optimizer optimizer;
  private final OptimizerState optState;
  private final Map<String, INDArray> params;
  private final AveragedWeights weights;
  private final double weight;

  /** @param dataParallel the workers, or null to compute every micro-batch in this process */
  OptimizerStep(MicroBatches microBatches, DataParallel dataParallel, GradientSum gradients, Optimizer optimizer,
      OptimizerState optState, Map<String, INDArray> params, AveragedWeights weights, int micro, int global) {
    this.microBatches = microBatches;
    this.dataParallel = dataParallel;
    this.gradients = gradients;
    this.optimizer = optimizer;
    this.optState = optState;
    this.params = params;
    this.weights = weights;
    this.weight = (double) micro / global;
  }

  /** Runs step {@code step + 1} (0-based {@code step}); returns its metrics. */
  StepMetrics run(long step, long target) {
    long t0 = System.nanoTime();
    int count = microBatches.count();
    gradients.reset();
    StepStatistics stats = new StepStatistics(weight);
    if (dataParallel == null) {
      for (int mb = 0; mb < count; mb++) {
        add(microBatches.compute(step, mb), stats);
      }
    } else {
      for (MicroBatchResult r : MicroBatchResult.inIndexOrder(dataParallel.compute(step, count, params), count, step)) {
        add(r, stats);
      }
    }
    boolean finite = Double.isFinite(stats.loss()) & gradients.allFinite();
    double norm = Double.NaN;
    double lr = optimizer.learningRate(optState.step());
    if (finite) {
      norm = optimizer.update(params, gradients.values(), optState);
      weights.update();
    } else {
      LOG.warn("step {}: non-finite loss or gradient; update skipped", step + 1);
    }
    return stats.metrics(step + 1, target, norm, lr, t0, !finite);
  }

  private void add(MicroBatchResult r, StepStatistics stats) {
    gradients.add(r.gradients(), weight);
    stats.add(r);
    r.releaseGradients();
  }
}
