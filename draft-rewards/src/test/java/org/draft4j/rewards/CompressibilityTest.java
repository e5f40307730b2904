package org.draft4j.rewards;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CompressibilityTest {
  private static final List<String> P = List.of("a", "b");

  @Test
  void flatImagesCompressBetterThanNoise() {
    RewardEvaluator ev = new RewardEvaluator(Rewards.compressibility(), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    Nd4j.getRandom().setSeed(2);
    INDArray flat = Nd4j.zeros(DataType.FLOAT, 2, 3, 16, 16);
    INDArray noisy = Nd4j.randn(DataType.FLOAT, 2, 3, 16, 16).muli(0.5);
    INDArray rf = ev.evaluate(flat, P, false).rewards();
    INDArray rn = ev.evaluate(noisy, P, false).rewards();
    for (int i = 0; i < 2; i++) {
      assertTrue(rf.getDouble(i) > rn.getDouble(i), "flat " + rf + " vs noise " + rn);
    }
    // a flat image costs about the header (600 B) plus the DC coefficients
    assertTrue(-rf.getDouble(0) < 0.7, "flat image estimate " + rf);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    RewardEvaluator ev = new RewardEvaluator(Rewards.compressibility(), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    Nd4j.getRandom().setSeed(5);
    INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8).muli(0.3);
    assertTrue(org.draft4j.testing.FiniteDifferences.checkReward(ev, x, P, 1e-2, 6, 131, 0.03, 2e-5) >= 3);
  }

  @Test
  void compositionIsLinearInItsWeights() {
    Nd4j.getRandom().setSeed(6);
    INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8).muli(0.3);
    Reward c = Rewards.compressibility();
    double a = new RewardEvaluator(c, ImageDecoder.pixelSpace(), ExecutionContext.shared()).evaluate(x, P, false).mean();
    double sum = new RewardEvaluator(c.times(2).plus(0.5, Rewards.incompressibility()), ImageDecoder.pixelSpace(), ExecutionContext.shared())
        .evaluate(x, P, false).mean();
    assertEquals(1.5 * a, sum, 1e-4 * Math.abs(a));
    RewardEvaluator.Result r = new RewardEvaluator(c.plus(0.1, c.negate()), ImageDecoder.pixelSpace(), ExecutionContext.shared())
        .evaluate(x, P, false);
    assertEquals(2, r.terms().size(), r.terms().keySet().toString());
  }

  @Test
  void fixedImagesAreScoredDirectly() {
    Nd4j.getRandom().setSeed(9);
    INDArray img = Nd4j.rand(DataType.FLOAT, 2, 3, 16, 16);
    INDArray viaEvaluator = new RewardEvaluator(Rewards.compressibility(), ImageDecoder.pixelSpace(), ExecutionContext.shared())
        .evaluate(img.mul(2).subi(1), P, false).rewards();
    assertTrue(viaEvaluator.equalsWithEps(Rewards.score(Rewards.compressibility(), img), 1e-5));
    assertTrue(viaEvaluator.equalsWithEps(Rewards.score(Rewards.compressibility(), img, P), 1e-5));
    IllegalArgumentException range = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Rewards.score(Rewards.compressibility(), img.mul(2)));
    assertTrue(range.getMessage().contains("[0, 1]"), range.getMessage());
    IllegalArgumentException prompts = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Rewards.score(Rewards.pickScore(TinyClip.create(2)), img));
    assertTrue(prompts.getMessage().contains("pickscore") && prompts.getMessage().contains("prompts"),
        prompts.getMessage());
    assertEquals(2, Rewards.score(Rewards.pickScore(TinyClip.create(2)), img, List.of("a red star", "a blue square"))
        .length());
  }
}
