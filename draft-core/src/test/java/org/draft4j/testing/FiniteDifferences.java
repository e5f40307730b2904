package org.draft4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.draft4j.spi.RewardEvaluator;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Central finite-difference checks of reward gradients with respect to the sampler output. */
public final class FiniteDifferences {
  private FiniteDifferences() {}

  /**
   * Compares {@code d Σ r / d x} from the evaluator with central differences at {@code count}
   * spread-out entries of {@code x}, within {@code rel·|fd| + abs}; returns how many of the checked
   * entries had a gradient larger than {@code abs} (so callers can insist the check saw signal).
   */
  public static int checkReward(RewardEvaluator ev, INDArray x, List<String> prompts, double h, int count,
      long stride, double rel, double abs) {
    INDArray g = ev.evaluate(x, prompts, true).gradient();
    int visible = 0;
    for (int i = 0; i < count; i++) {
      long idx = (i * stride) % x.length();
      double v = x.getDouble(idx);
      x.putScalar(idx, v + h);
      double lp = ev.evaluate(x, prompts, false).rewards().sumNumber().doubleValue();
      x.putScalar(idx, v - h);
      double lm = ev.evaluate(x, prompts, false).rewards().sumNumber().doubleValue();
      x.putScalar(idx, v);
      double fd = (lp - lm) / (2 * h);
      assertEquals(fd, g.getDouble(idx), rel * Math.abs(fd) + abs, ev.reward().name() + " at entry " + idx);
      visible += Math.abs(fd) > abs ? 1 : 0;
    }
    return visible;
  }
}
