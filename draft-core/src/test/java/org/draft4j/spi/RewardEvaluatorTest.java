package org.draft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionMode;
import org.draft4j.engine.ExecutionOptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Rewards of decoded samples, with an identity decoder (scoring images directly) on both executors. */
class RewardEvaluatorTest {
  @Test
  void identityDecoderScoresTheSamplesThemselves() {
    for (ExecutionMode mode : ExecutionMode.values()) {
      try (ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions().withMode(mode));
          RewardEvaluator ev = new RewardEvaluator((g, images) -> images.mean(1, 2, 3), (sd, x) -> x, ctx)) {
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 4, 4);
        RewardEvaluator.Result r = ev.evaluate(x, List.of("a", "b"), true);
        assertEquals(x.mean(1, 2, 3).getDouble(1), r.rewards().getDouble(1), 1e-6, mode.toString());
        assertEquals(x, r.images(), mode.toString());
        // d mean / dx = 1 / (3·4·4) everywhere
        assertEquals(1.0 / 48, r.gradient().getDouble(0, 2, 3, 1), 1e-7, mode.toString());
        assertEquals(1.0 / 48, r.gradient().minNumber().doubleValue(), 1e-7, mode.toString());
      }
    }
  }
}
