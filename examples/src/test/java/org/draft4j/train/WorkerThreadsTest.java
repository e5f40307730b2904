package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.draft4j.examples.custom.ColorfulnessReward;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;
import org.draft4j.lora.Lora;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.rewards.Rewards;
import org.draft4j.samplers.Ddim;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Two worker threads split each batch into shards: every shipped reward (and a custom one) must
 * score and differentiate a shard as it does the whole batch (and one image alone as its row of the
 * batch: ND4J's divide_bp once broke normalized features at batch 1), and a training step must agree
 * with the single-thread one to float rounding.
 */
class WorkerThreadsTest {
  private static final List<String> PROMPTS = List.of("a red circle", "a blue square on green", "a small star");

  private static void sameWithTwoWorkers(Reward reward) {
    INDArray x0 = NoiseSource.batch(new long[] {1, 2, 3}, 9, 3, 32, 32).mul(0.5).add(0.5);
    try (ExecutionContext one = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(1));
        ExecutionContext two = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(2));
        RewardEvaluator a = new RewardEvaluator(reward, ImageDecoder.pixelSpace(), one);
        RewardEvaluator b = new RewardEvaluator(reward, ImageDecoder.pixelSpace(), two)) {
      RewardEvaluator.Result ra = a.evaluate(x0, PROMPTS, true);
      RewardEvaluator.Result rb = b.evaluate(x0, PROMPTS, true);
      assertEquals(3, rb.rewards().length(), reward.name());
      assertTrue(ra.rewards().equalsWithEps(rb.rewards(), 1e-4), reward.name() + ": " + ra.rewards() + " vs "
          + rb.rewards());
      double scale = ra.gradient().amaxNumber().doubleValue();
      assertTrue(ra.gradient().sub(rb.gradient()).amaxNumber().doubleValue() <= 1e-4 * scale + 1e-7,
          reward.name() + ": gradients differ");
      // one image alone scores and differentiates as its row of the batch (batch 1 is a shape of its own)
      for (int i = 0; i < 3; i++) {
        INDArray xi = x0.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup();
        RewardEvaluator.Result alone = a.evaluate(xi, PROMPTS.subList(i, i + 1), true);
        INDArray row = ra.gradient().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1));
        assertEquals(ra.rewards().getDouble(i), alone.rewards().getDouble(0), 1e-4 * (1 + Math.abs(ra.rewards()
            .getDouble(i))), reward.name() + " image " + i + " alone");
        double s = row.amaxNumber().doubleValue();
        assertTrue(alone.gradient().sub(row).amaxNumber().doubleValue() <= 1e-4 * s + 1e-7,
            reward.name() + " image " + i + ": gradient alone differs from its row of the batch");
      }
    }
  }

  @Test
  void everyRewardScoresShardsAsTheWholeBatch() {
    sameWithTwoWorkers(Rewards.compressibility());
    sameWithTwoWorkers(Rewards.pickScore(ShapesWorldModel.clip()));
    sameWithTwoWorkers(Rewards.aesthetic(ShapesWorldModel.clip(), ShapesWorldModel.aestheticHead()));
    sameWithTwoWorkers(new ColorfulnessReward());
    sameWithTwoWorkers(ShapesWorldModel.alignmentAndAesthetic(0.5));
  }

  private static Map<String, INDArray> train(int threads) {
    try (DraftTrainer t = DraftTrainer.builder().model(TinyModels.model(1)).sampler(Ddim.steps(3).guidance(2.0))
        .reward(Rewards.compressibility()).adapter(Lora.rank(2)).objective(Objectives.draftK(2))
        .optimizer(AdamW.lr(1e-2)).prompts(PROMPTS).batch(4, 4).seed(3)
        .execution(ExecutionContext.defaultOptions().withThreads(threads)).build()) {
      t.fit(2);
      Map<String, INDArray> p = new java.util.LinkedHashMap<>();
      t.denoiser().trainableParameters().forEach((k, v) -> p.put(k, v.dup()));
      return p;
    }
  }

  @Test
  void trainingStepsWithTwoWorkersAgreeWithOne() {
    Map<String, INDArray> one = train(1);
    Map<String, INDArray> two = train(2);
    assertEquals(one.keySet(), two.keySet());
    for (String k : one.keySet()) {
      double scale = one.get(k).amaxNumber().doubleValue();
      assertTrue(one.get(k).sub(two.get(k)).amaxNumber().doubleValue() <= 1e-3 * scale + 1e-6, k);
    }
  }
}
