package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionMode;
import org.draft4j.engine.ExecutionOptions;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Regression for unbounded heap growth on SameDiff's own executor ({@link ExecutionMode#SAMEDIFF},
 * kept for comparisons): SameDiff M2.1 sessions remember every freed array id, so the runner must
 * drop them after each call (a 2,000-step soak grew by 100 MB per 100 steps before, see
 * docs/benchmarks.md). The engine creates no sessions at all.
 */
class SessionReleaseTest {
  @Test
  void denoiserKeepsNoSessionBetweenCalls() {
    ExecutionContext legacy = ExecutionContext.create(ExecutionContext.defaultOptions().withMode(ExecutionMode.SAMEDIFF));
    UNetDenoiser d = new UNetDenoiser(TinyModels.unet(1), 8, 8, 4, legacy);
    d.setBaseTrainable(true); // something to differentiate without an adapter
    INDArray x = Nd4j.randn(DataType.FLOAT, 1, 3, 8, 8);
    INDArray t = Nd4j.createFromArray(new float[] {10});
    INDArray c = Nd4j.randn(DataType.FLOAT, 1, 4, 8);
    d.predict(x, t, c);
    assertTrue(d.graph().getSessions().isEmpty(), "forward session kept");
    d.vjp(x, t, c, x);
    assertTrue(d.graph().getSessions().isEmpty(), "session kept after the backward");
    assertNotNull(d.graph().getFunction("grad"));
    assertTrue(d.graph().getFunction("grad").getSessions().isEmpty(), "gradient-function session kept");
    legacy.close();
  }

  @Test
  void engineRunsWithoutSessions() {
    UNetDenoiser d = new UNetDenoiser(TinyModels.unet(1), 8, 8, 4, ExecutionContext.shared());
    d.setBaseTrainable(true);
    INDArray x = Nd4j.randn(DataType.FLOAT, 1, 3, 8, 8);
    INDArray t = Nd4j.createFromArray(new float[] {10});
    INDArray c = Nd4j.randn(DataType.FLOAT, 1, 4, 8);
    d.predict(x, t, c);
    d.vjp(x, t, c, x);
    assertTrue(d.graph().getFunction("grad").getSessions().isEmpty(), "engine created a session");
    d.close();
  }
}
