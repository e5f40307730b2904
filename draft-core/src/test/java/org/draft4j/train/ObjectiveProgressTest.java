package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.spi.Reward;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToySampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each objective raises the reward on fixed evaluation seeds within a few steps (tiny model; a
 * linear, unclipped decoder so gradients reach every pixel; reward = mean brightness).
 */
class ObjectiveProgressTest {
  static final List<String> PROMPTS = List.of("a red star", "a blue square");
  static final Reward BRIGHTNESS = new Reward() {
    @Override
    public org.nd4j.autodiff.samediff.SDVariable score(org.draft4j.spi.RewardGraph g,
        org.nd4j.autodiff.samediff.SDVariable images) {
      return images.mean(1, 2, 3);
    }

    @Override
    public String name() {
      return "brightness";
    }
  };
  @TempDir Path dir;

  static TextToImageModel model() {
    TextToImageModel tiny = TinyModels.model(1);
    return TextToImageModel.builder().id("tiny-linear").tokenizer(tiny.tokenizer()).textEncoder(tiny.textEncoder())
        .unet(tiny.unet()).decoder((sd, x) -> x.mul(0.1).add(0.5)).build();
  }

  static DraftTrainer.Builder builder(Objective o) {
    return DraftTrainer.builder().model(model()).sampler(ToySampler.steps(4, 2.0)).reward(BRIGHTNESS)
        .adapter(ToyAdapter.spec()).objective(o).optimizer(AdamW.lr(3e-2)).prompts(PROMPTS).batch(2, 2).seed(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"draft", "draftK", "draftLv", "draftPlus", "refl", "alignProp"})
  void rewardRisesOnHeldOutSeeds(String name) {
    Objective o = switch (name) {
      case "draft" -> Objectives.draft();
      case "draftK" -> Objectives.draftK(1);
      case "draftLv" -> Objectives.draftLv(2);
      case "draftPlus" -> Objectives.draftPlus(1, 1e-3); // the brightness reward is tiny next to the KL
      case "refl" -> Objectives.refl(1, 3);
      default -> Objectives.alignProp(1, 4);
    };
    long[] seeds = {901, 902};
    try (DraftTrainer t = builder(o).build()) {
      double before = t.evaluate(PROMPTS, seeds).rewards().meanNumber().doubleValue();
      t.fit(5);
      double after = t.evaluate(PROMPTS, seeds).rewards().meanNumber().doubleValue();
      assertTrue(after > before + 1e-3, name + ": reward " + before + " -> " + after);
    }
  }

  @Test
  void epochsAndEvaluationGrids() throws Exception {
    try (DraftTrainer t = builder(Objectives.draftK(1)).evaluation(PROMPTS, new long[] {1, 2}, 2, dir).build()) {
      t.fitEpochs(2, PROMPTS.size()); // 2 epochs × 2 prompts / global 2 = 2 steps
      assertEquals(2, t.step());
      assertTrue(Files.exists(dir.resolve("eval_step_000000.png")) && Files.exists(dir.resolve("eval_step_000002.png")));
    }
  }
}
