package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.ObjectiveResult;
import org.draft4j.objectives.Objectives;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.SamplingSchedule;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.junit.jupiter.api.Test;

/**
 * An objective written outside the library, with nothing but the public SPI: DRaFT-K with the
 * reward on the clean sample x̂₀ predicted at an intermediate step m, the gradient through the last
 * k steps up to m. Neither the trainer nor the sampler knows it; the trainer trains with it.
 */
class NewObjectiveTest {
  /** −mean r(decode(x̂₀(x_m))), differentiated through steps [m+1−k, m]. */
  @com.fasterxml.jackson.annotation.JsonTypeName("draftKOnX0")
  record DraftKOnPredictedX0(int m, int k) implements Objective {
    @Override
    public ObjectiveResult compute(ObjectiveContext ctx) {
      Trajectory r = ctx.sampler().rollout(ctx.model(), ctx.cond(), ctx.initialNoise(), ctx.seeds(),
          Span.of(0, m + 1).differentiatingLast(k).endingInPredictedX0());
      RewardEvaluator.Result ev = ctx.rewards().evaluate(r.output(), ctx.prompts(), true);
      Gradients g = r.backward(ev.gradient().mul(-1.0 / r.output().size(0)));
      return new ObjectiveResult(-ev.mean(), g.params(), ev.rewards(), ev.terms(), Map.of("k", (double) k));
    }

    @Override
    public void validate(SamplingSchedule s) {
      if (m >= s.numSteps() || k < 1 || k > m + 1) {
        throw new IllegalArgumentException("draftKOnX0: m = " + m + ", k = " + k + " need k in [1, m+1] and m < "
            + s.numSteps());
      }
    }

    @Override
    public String name() {
      return "draftKOnX0(" + m + ", " + k + ")";
    }

  }

  @org.junit.jupiter.api.BeforeAll
  static void setUp() {
    ObjectivesTest.setUp(); // the tiny adapted model the built-in objectives are tested on
  }

  @Test
  void withOneStepItIsReflAtThatStep() {
    assertEquals(0.0, ObjectivesTest.maxRelDiff(ObjectivesTest.grads(Objectives.refl(1, 1)),
        ObjectivesTest.grads(new DraftKOnPredictedX0(1, 1))), 1e-6);
  }

  @Test
  void moreStepsChangeTheGradient() {
    assertTrue(ObjectivesTest.maxRelDiff(ObjectivesTest.grads(new DraftKOnPredictedX0(1, 1)),
        ObjectivesTest.grads(new DraftKOnPredictedX0(1, 2))) > 1e-4);
  }

  @Test
  void theTrainerTrainsWithIt() {
    long[] seeds = {901, 902};
    try (DraftTrainer t = ObjectiveProgressTest.builder(new DraftKOnPredictedX0(2, 2)).build()) {
      double before = t.evaluate(ObjectiveProgressTest.PROMPTS, seeds).rewards().meanNumber().doubleValue();
      t.fit(5);
      double after = t.evaluate(ObjectiveProgressTest.PROMPTS, seeds).rewards().meanNumber().doubleValue();
      assertTrue(after > before + 1e-3, "reward " + before + " -> " + after);
      // a record objective's config is its JSON, with no code for it
      assertEquals("{\"objective\":\"draftKOnX0\",\"m\":2,\"k\":2}",
          org.draft4j.io.Json.write(t.config().objective()));
    }
  }
}
