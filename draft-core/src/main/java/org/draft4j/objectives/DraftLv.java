package org.draft4j.objectives;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DRaFT-LV: sample x_0 without gradient; n times re-noise it to the last step's noise level,
 * {@code x^i = √ᾱ_{t1} x_0 + √(1−ᾱ_{t1}) ε_i}, and take that one step with gradient. Loss
 * {@code −(1/n) Σ_i mean_b r(decode(step(x^i)))}: n reward gradients of DRaFT-1 averaged, lower
 * variance for the cost of n extra single steps.
 *
 * @param n the number of re-noised final steps (the paper's and NeMo's default 2)
 */
public record DraftLv(int n) implements Objective {
  private static final long PURPOSE = 0x4C56_0000L;

  public DraftLv {
    checkArgument(n >= 1, "DRaFT-LV needs n >= 1 inner samples, got %s", n);
  }

  @Override
  public ObjectiveResult compute(ObjectiveContext ctx) {
    Sampler s = ctx.sampler();
    int steps = s.numSteps();
    INDArray x0 = s.sample(ctx.model(), ctx.cond(), ctx.initialNoise(), ctx.seeds());
    long b = x0.size(0);
    double loss = 0;
    INDArray rewardSum = null;
    Gradients grads = Gradients.none();
    Map<String, INDArray> terms = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      long[] sh = x0.shape();
      INDArray eps = NoiseSource.batch(ctx.seeds(), PURPOSE + i, sh[1], sh[2], sh[3]);
      INDArray xi = s.schedule().noiseTo(x0, steps - 1, eps);
      Trajectory r = s.rollout(ctx.model(), ctx.cond(), xi, ctx.seeds(), Span.of(steps - 1, steps).differentiatingLast(1));
      RewardEvaluator.Result ev = ctx.rewards().evaluate(r.output(), ctx.prompts(), true);
      grads = grads.accumulate(r.backward(ev.gradient().mul(-1.0 / (b * n))));
      loss -= ev.mean() / n;
      rewardSum = rewardSum == null ? ev.rewards().dup() : rewardSum.addi(ev.rewards());
      ev.terms().forEach((k, v) -> terms.merge(k, v.div(n), (a, c) -> a.add(c)));
    }
    return new ObjectiveResult(loss, grads.params(), rewardSum.divi(n), terms, Map.of("n", (double) n));
  }

  @Override
  public String name() {
    return "draftLv(" + n + ")";
  }

}
