package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;

/**
 * Random and invalid builder settings: every invalid one is refused with a message by the time
 * {@code build()} returns (a factory may refuse even earlier); whatever builds then trains a step.
 */
class BuilderFuzzTest {
  static final TextToImageModel MODEL = TinyModels.model(1);

  @Property(tries = 40)
  void invalidSettingsAreRefusedAtBuildNeverLater(@ForAll @IntRange(min = -1, max = 3) int micro,
      @ForAll @IntRange(min = 0, max = 3) int multiple, @ForAll @IntRange(min = 1, max = 3) int steps,
      @ForAll @IntRange(min = 0, max = 3) int k, @ForAll @IntRange(min = 0, max = 4) int kind,
      @ForAll @IntRange(min = 0, max = 11) int missing) {
    DraftTrainer trainer;
    try {
      Objective o = switch (kind) {
        case 0 -> Objectives.draftK(k);
        case 1 -> Objectives.draftPlus(k, 0.5);
        case 2 -> Objectives.refl(0, k);
        case 3 -> Objectives.alignProp(1, k);
        default -> Objectives.draftLv(k);
      };
      DraftTrainer.Builder b = DraftTrainer.builder();
      // missing in 0..3 leaves one required field out; 4..11 sets everything
      if (missing != 0) {
        b.model(MODEL);
      }
      if (missing != 1) {
        b.sampler(ToySampler.steps(steps, 2.0));
      }
      if (missing != 2) {
        b.reward(ToyRewards.contrast());
      }
      if (missing != 3) {
        b.adapter(ToyAdapter.spec());
      }
      b.objective(o).optimizer(AdamW.lr(1e-3)).prompts(List.of("a red star", "a blue box"));
      if (micro != 0) {
        b.batch(micro, micro * multiple + (multiple == 3 ? 1 : 0)); // multiple 3: not a multiple of micro
      }
      trainer = b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "refused without a message");
      Statistics.collect("refused");
      return;
    }
    Statistics.collect("built and trained");
    try (DraftTrainer t = trainer) {
      t.fit(1); // must not fail: everything invalid was refused above
      assertEquals(1, t.step());
      assertTrue(t.skippedSteps() == 0);
    }
  }
}
