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
 * DRaFT-K: sample x_T → x_0; the first T−K steps run without gradient, the last K are checkpointed
 * and differentiated. Loss {@code −mean_b r(decode(x_0^b), c_b)}; the gradient flows from the reward
 * through the decoder and the last K model calls into θ.
 *
 * @param k the number of differentiated last steps (K ≥ 1, at most the sampler's steps)
 */
public record DraftK(int k) implements Objective {
  public DraftK {
    checkArgument(k >= 1, "DRaFT-K needs K >= 1, got %s", k);
  }

  @Override
  public ObjectiveResult compute(ObjectiveContext ctx) {
    validate(ctx.sampler().schedule());
    return run(ctx, k, null, 0);
  }

  @Override
  public void validate(SamplingSchedule s) {
    checkArgument(k <= s.numSteps(), "DRaFT-K with K = %s exceeds the sampler's %s steps", k, s.numSteps());
  }

  /** Shared by DRaFT, DRaFT-K, DRaFT+ and AlignProp: differentiate the last kk steps, with an optional penalty. */
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
    return "draftK(" + k + ")";
  }
}
