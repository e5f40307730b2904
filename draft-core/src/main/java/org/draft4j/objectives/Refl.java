package org.draft4j.objectives;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.SamplingSchedule;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ReFL (ImageReward): run the chain without gradient up to a step m drawn uniformly from
 * {@code [minStep, maxStep]} once per batch, predict {@code x̂_0} from that state in one model call,
 * and differentiate {@code −mean r(decode(x̂_0))} through that call only.
 *
 * @param minStep the earliest stop step
 * @param maxStep the latest stop step (below the sampler's step count)
 */
public record Refl(@JsonProperty("min_step") int minStep, @JsonProperty("max_step") int maxStep) implements Objective {
  public Refl {
    checkArgument(0 <= minStep && minStep <= maxStep, "ReFL step range [%s, %s] is invalid", minStep, maxStep);
  }

  @Override
  public ObjectiveResult compute(ObjectiveContext ctx) {
    Sampler s = ctx.sampler();
    validate(s.schedule());
    int m = minStep + ctx.random().nextInt(maxStep - minStep + 1);
    Trajectory r = s.rollout(ctx.model(), ctx.cond(), ctx.initialNoise(), ctx.seeds(),
        Span.of(0, m + 1).differentiatingLast(1).endingInPredictedX0());
    INDArray x0 = r.output();
    RewardEvaluator.Result ev = ctx.rewards().evaluate(x0, ctx.prompts(), true);
    Gradients g = r.backward(ev.gradient().mul(-1.0 / x0.size(0)));
    return new ObjectiveResult(-ev.mean(), g.params(), ev.rewards(), ev.terms(), Map.of("stop_step", (double) m));
  }

  @Override
  public void validate(SamplingSchedule s) {
    checkArgument(maxStep < s.numSteps(), "ReFL max step %s must be < the sampler's %s steps", maxStep, s.numSteps());
  }

  @Override
  public String name() {
    return "refl(" + minStep + ", " + maxStep + ")";
  }

}
