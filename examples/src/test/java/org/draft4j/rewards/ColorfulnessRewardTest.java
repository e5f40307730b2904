package org.draft4j.rewards;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.draft4j.examples.custom.ColorfulnessReward;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.RewardEvaluator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The custom-reward example: value by hand, and its gradient against finite differences. */
class ColorfulnessRewardTest {
  @Test
  void grayIsZeroAndValueMatchesTheFormula() {
    RewardEvaluator ev = new RewardEvaluator(new ColorfulnessReward(), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    INDArray gray = Nd4j.zeros(DataType.FLOAT, 1, 3, 4, 4); // x = 0 decodes to 0.5 gray
    assertEquals(0.0, ev.evaluate(gray, List.of("x"), false).rewards().getDouble(0), 2e-3);
    // a uniform pure red image (R=1, G=B=0): rg = 1, yb = 0.5, σ = 0, μ = √1.25 → M = 0.3·√1.25
    INDArray red = Nd4j.create(DataType.FLOAT, 1, 3, 4, 4).assign(-1);
    red.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0)).assign(1);
    assertEquals(0.3 * Math.sqrt(1.25), ev.evaluate(red, List.of("x"), false).rewards().getDouble(0), 2e-3);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    RewardEvaluator ev = new RewardEvaluator(new ColorfulnessReward(), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    Nd4j.getRandom().setSeed(3);
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 4, 4).subi(0.5);
    List<String> p = List.of("a", "b");
    assertTrue(org.draft4j.testing.FiniteDifferences.checkReward(ev, x, p, 1e-2, 6, 37, 0.03, 1e-4) >= 3);
  }
}
