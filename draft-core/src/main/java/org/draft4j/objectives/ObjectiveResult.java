package org.draft4j.objectives;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Outcome of one micro-batch.
 *
 * @param loss the minimized loss (for DRaFT: −mean reward, plus penalties)
 * @param rewards per-sample reward {@code [B]} of the images the gradient came from
 * @param terms per-sample values of each logged reward term
 * @param metrics extra scalars (KL term, truncation K, ...)
 */
public record ObjectiveResult(double loss, INDArray rewards, Map<String, INDArray> terms,
    Map<String, Double> metrics) {}
