package org.draft4j.examples.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.draft4j.examples.cli.ModelSource;
import org.draft4j.examples.custom.ColorfulnessReward;
import org.draft4j.lora.Lora;
import org.draft4j.objectives.Objective;
import org.draft4j.rewards.AestheticHead;
import org.draft4j.rewards.ClipModel;
import org.draft4j.rewards.Rewards;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.Reward;

/**
 * One fine-tuning run's settings, typed and checked ({@link TrainOptions#settings} makes them): the
 * library values the trainer takes (objective, LoRA recipe) and the run's own (evaluation, output,
 * checkpoints). {@code given} is the settings as given (name → text, in order), saved as
 * {@code summary.json}'s {@code settings}.
 */
public record TrainSettings(Objective objective, RewardChoice reward, Lora adapter, double lr, int steps, int micro,
    int global, int samplerSteps, double guidance, double eta, long seed, Evaluation eval, Path out, ModelSource model,
    boolean quiet, Path checkpoints, int checkpointEvery, Path prompts, Spark spark, Map<String, String> given) {

  /** Data-parallel training on Spark: the master URL and the workers a step is spread over (null: this process). */
  record Spark(String master, int workers) {}

  /**
   * The held-out evaluation: {@code prompts} × {@code seeds} pairs, and every {@code every} steps (0:
   * before and after); {@code file}: the prompts' file (null: world captions, or the training file's).
   */
  record Evaluation(int prompts, int seeds, int every, Path file) {}

  /**
   * The reward by name: {@code world} = alignment + {@code aestheticWeight} × aesthetic with the
   * world's models; {@code contrastive}, {@code alignment-averaged}: the world's
   * {@link ShapesWorldModel#contrastiveAlignment()} and {@link ShapesWorldModel#averagedAlignment()};
   * {@code pickscore}, {@code hpsv2}, {@code laion-aesthetic} with the CLIP folder {@code model}
   * (HPSv2 also from its open_clip checkpoint file; for the last, the head {@code aestheticHead} in
   * LAION's {@code .pth} or as safetensors).
   */
  record RewardChoice(String name, double aestheticWeight, Path model, Path aestheticHead) {
    /** Loads the models and returns the reward. */
    Reward build() {
      return switch (name) {
        case "world" -> ShapesWorldModel.alignmentAndAesthetic(aestheticWeight);
        case "alignment" -> Rewards.pickScore(ShapesWorldModel.clip());
        case "contrastive" -> ShapesWorldModel.contrastiveAlignment();
        case "contrastive-kind" -> ShapesWorldModel.kindContrastiveAlignment();
        case "contrastive-kind-averaged" -> ShapesWorldModel.averagedKindContrastiveAlignment();
        case "alignment-averaged" -> ShapesWorldModel.averagedAlignment();
        case "aesthetic" -> Rewards.aesthetic(ShapesWorldModel.clip(), ShapesWorldModel.aestheticHead());
        case "compressibility" -> Rewards.compressibility();
        case "incompressibility" -> Rewards.incompressibility();
        case "colorfulness" -> new ColorfulnessReward();
        case "pickscore" -> Rewards.pickScore(clip());
        case "hpsv2" -> java.nio.file.Files.isRegularFile(model) ? Rewards.hpsV2(model) : Rewards.hpsV2(clip());
        case "laion-aesthetic" -> {
          if (!java.nio.file.Files.exists(aestheticHead)) {
            throw new IllegalArgumentException("--reward " + name + " needs the predictor's head: " + aestheticHead
                + " does not exist; give --aesthetic-head FILE (LAION's .pth or a safetensors file)");
          }
          yield Rewards.aesthetic(clip(), AestheticHead.load(aestheticHead));
        }
        default -> throw new IllegalArgumentException("unknown reward \"" + name + "\"");
      };
    }

    private ClipModel clip() {
      try {
        return ClipModel.load(model);
      } catch (IOException e) {
        throw new UncheckedIOException("--reward-model " + model + ": " + e.getMessage(), e);
      }
    }
  }
}
