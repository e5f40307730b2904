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

  private static final java.util.Set<String> FIXED = java.util.Set.of("step", "loss", "reward_mean", "reward_std",
      "grad_norm", "lr", "seconds", "rss_bytes", "skipped");

  /**
   * The inverse of {@link #toMap} (as read back from a metrics file): {@code reward/}-prefixed
   * entries become terms, other unknown numeric entries extras; a {@code null} number (how JSON
   * holds NaN) becomes NaN. {@code totalSteps} is not in the map and is given.
   */
  public static StepMetrics fromMap(Map<String, Object> m, long totalSteps) {
    Map<String, Double> terms = new LinkedHashMap<>();
    Map<String, Double> extra = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (e.getKey().startsWith("reward/")) {
        terms.put(e.getKey().substring("reward/".length()), number(m, e.getKey()));
      } else if (!FIXED.contains(e.getKey()) && (e.getValue() == null || e.getValue() instanceof Number)) {
        extra.put(e.getKey(), number(m, e.getKey()));
      }
    }
    Object step = m.get("step");
    if (!(step instanceof Number)) {
      throw new IllegalArgumentException("metrics entry has no numeric \"step\": " + m);
    }
    Object rss = m.get("rss_bytes");
    return new StepMetrics(((Number) step).longValue(), totalSteps, number(m, "loss"), number(m, "reward_mean"),
        number(m, "reward_std"), terms, extra, number(m, "grad_norm"), number(m, "lr"), number(m, "seconds"),
        rss instanceof Number ? ((Number) rss).longValue() : 0L, Boolean.TRUE.equals(m.get("skipped")));
  }

  private static double number(Map<String, Object> m, String k) {
    Object v = m.get(k);
    return v instanceof Number ? ((Number) v).doubleValue() : Double.NaN;
  }
}
