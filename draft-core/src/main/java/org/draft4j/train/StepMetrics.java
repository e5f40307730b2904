package org.draft4j.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer step measured.
 *
 * @param step 1-based step just completed
 * @param totalSteps steps of this {@code fit} call's target
 * @param loss mean loss over the global batch
 * @param rewardMean mean reward
 * @param rewardStd reward standard deviation over the global batch
 * @param terms mean of each logged reward term ({@code name}) and its standard deviation ({@code name/std})
 * @param extra objective metrics (kl, k, ...)
 * @param gradNorm global gradient norm before clipping
 * @param learningRate learning rate used
 * @param seconds wall time of the step
 * @param residentBytes process resident memory after the step (0 where unknown)
 * @param skipped whether the update was skipped (non-finite loss or gradient)
 */
public record StepMetrics(long step, long totalSteps, double loss, double rewardMean, double rewardStd,
    Map<String, Double> terms, Map<String, Double> extra, double gradNorm, double learningRate, double seconds,
    long residentBytes, boolean skipped) {
  /** A JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    m.put("loss", loss);
    m.put("reward_mean", rewardMean);
    m.put("reward_std", rewardStd);
    terms.forEach((k, v) -> m.put("reward/" + k, v));
    extra.forEach(m::put);
    m.put("grad_norm", gradNorm);
    m.put("lr", learningRate);
    m.put("seconds", seconds);
    m.put("rss_bytes", residentBytes);
    m.put("skipped", skipped);
    return m;
  }
}
