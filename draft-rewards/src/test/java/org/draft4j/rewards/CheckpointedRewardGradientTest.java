package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.Checkpointing;
import org.draft4j.engine.CompiledGraph;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;
import org.draft4j.models.AutoencoderKL;
import org.draft4j.models.AutoencoderKLConfig;
import org.draft4j.nn.Parameters;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The real-size step's reward path at small size: latents → VAE decoder → CLIP preprocessing →
 * CLIP image tower → PickScore or aesthetic head, differentiated with the decoder's blocks and the
 * CLIP encoder layers as checkpointing segments. Recomputing them in the backward pass must give
 * the gradient of the plan that keeps every activation, bit for bit, and keep less in its arena.
 */
class CheckpointedRewardGradientTest {
  private static Reward reward(String which) {
    ClipModel clip = TinyClip.create(3);
    if (which.equals("pickscore")) {
      return Rewards.pickScore(clip);
    }
    Parameters hp = Parameters.random(6);
    new AestheticHead(hp, 6);
    return Rewards.aesthetic(clip, new AestheticHead(Parameters.of(hp.asMap(), "head"), 6));
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickscore", "aesthetic"})
  void checkpointedDecoderAndClipGradientsEqualTheKeptOnes(String which) {
    AutoencoderKL vae = AutoencoderKL.random(new AutoencoderKLConfig(3, 3, new int[] {8, 16}, 1, 4, 4, 16, 0.18215), 4);
    Nd4j.getRandom().setSeed(11);
    INDArray latents = Nd4j.randn(DataType.FLOAT, 2, 4, 8, 8);
    List<String> prompts = List.of("a red star", "a blue square");
    Map<Checkpointing, RewardEvaluator.Result> results = new LinkedHashMap<>();
    Map<Checkpointing, CompiledGraph.Stats> stats = new LinkedHashMap<>();
    for (Checkpointing ck : new Checkpointing[] {Checkpointing.NEVER, Checkpointing.ALWAYS}) {
      try (ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions().withCheckpointing(ck));
          RewardEvaluator ev = new RewardEvaluator(reward(which), vae.asImageDecoder(), ctx)) {
        results.put(ck, ev.evaluate(latents, prompts, true));
        stats.put(ck, ev.gradientPlanStats(latents.shape()));
      }
    }
    RewardEvaluator.Result kept = results.get(Checkpointing.NEVER);
    RewardEvaluator.Result recomputed = results.get(Checkpointing.ALWAYS);
    assertEquals(kept.rewards(), recomputed.rewards());
    assertEquals(kept.gradient(), recomputed.gradient(), "gradient with checkpointing");
    assertTrue(kept.gradient().norm2Number().doubleValue() > 0, "the gradient reaches the latents");
    assertTrue(stats.get(Checkpointing.ALWAYS).checkpointed() && !stats.get(Checkpointing.NEVER).checkpointed(),
        stats.toString());
    assertTrue(stats.get(Checkpointing.ALWAYS).arenaBytes() < stats.get(Checkpointing.NEVER).arenaBytes(),
        stats.toString());
  }
}
