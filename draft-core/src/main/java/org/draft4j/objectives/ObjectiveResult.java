package org.draft4j.objectives;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Outcome of one micro-batch: the loss and exactly its gradient. The loss is a mean over the
 * micro-batch's samples, so the trainer's step loss (the mean over equal micro-batches) and its
 * gradient are the micro-batches' average; no other scale is applied anywhere.
 *
 * @param loss the minimized loss (for DRaFT: −mean reward, plus penalties)
 * @param gradients {@code dLoss/dθ} by trainable parameter name (absent: zero); the caller owns them
 * @param rewards per-sample reward {@code [B]} of the images the gradient came from
 * @param terms per-sample values of each logged reward term
 * @param metrics extra scalars (KL term, truncation K, ...)
 */
public record ObjectiveResult(double loss, Map<String, INDArray> gradients, INDArray rewards,
    Map<String, INDArray> terms, Map<String, Double> metrics) {}
