package org.draft4j.objectives;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.SamplingSchedule;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DRaFT-K (K = T is full DRaFT): sample x_T → x_0; the first T−K steps run without gradient, the
 * last K are checkpointed and differentiated. Loss {@code −mean_b r(decode(x_0^b), c_b)}; the
 * gradient flows from the reward through the decoder and the last K model calls into θ.
 */
public final class DraftK implements Objective {
  private final int k;
  private final boolean full;

  DraftK(int k, boolean full) {
    checkArgument(full || k >= 1, "DRaFT-K needs K >= 1, got %s", k);
    this.k = k;
    this.full = full;
  }

  /** K, or the sampler's step count for full DRaFT. */
  public int truncation(SamplingSchedule s) {
    int kk = full ? s.numSteps() : k;
    checkArgument(kk <= s.numSteps(), "DRaFT-K with K = %s exceeds the sampler's %s steps", kk, s.numSteps());
    return kk;
  }

  @Override
  public ObjectiveResult compute(ObjectiveContext ctx) {
    return run(ctx, truncation(ctx.sampler().schedule()), null, 0);
  }

  @Override
  public void validate(SamplingSchedule s) {
    truncation(s);
  }

  /** Shared by DRaFT-K, DRaFT+ and AlignProp: differentiate the last kk steps, with an optional penalty. */
  static ObjectiveResult run(ObjectiveContext ctx, int kk, KlPenalty penalty, double klCoeff) {
    Sampler s = ctx.sampler();
    Trajectory r = s.rollout(ctx.model(), ctx.cond(), ctx.initialNoise(), ctx.seeds(),
        Span.all(s.numSteps()).differentiatingLast(kk));
    RewardEvaluator.Result ev = ctx.rewards().evaluate(r.output(), ctx.prompts(), true);
    long b = r.output().size(0);
    INDArray g = ev.gradient().mul(-1.0 / b);
    Gradients grads = r.backward(g, penalty);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("k", (double) kk);
    double loss = -ev.mean();
    if (penalty != null) {
      metrics.put("kl", penalty.value());
      loss += klCoeff * penalty.value();
    }
    return new ObjectiveResult(loss, grads.params(), ev.rewards(), ev.terms(), metrics);
  }

  @Override
  public String name() {
    return full ? "draft" : "draftK(" + k + ")";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("objective", full ? "draft" : "draftK");
    if (!full) {
      m.put("k", k);
    }
    return m;
  }
}
