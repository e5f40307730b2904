package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** One DDIM step against the formula evaluated by hand, and bad input. */
class DdimStepTest {
  @Test
  void stepMatchesHandComputation() {
    // SD 1.5 betas: beta_i = (sqrt(0.00085) + i/999 (sqrt(0.012) - sqrt(0.00085)))^2, alpha_bar_t = prod (1-beta)
    double abar501 = 1;
    double abar401 = 1;
    for (int i = 0; i <= 501; i++) {
      double sb = Math.sqrt(0.00085) + i / 999.0 * (Math.sqrt(0.012) - Math.sqrt(0.00085));
      abar501 *= 1 - sb * sb;
      if (i <= 401) {
        abar401 *= 1 - sb * sb;
      }
    }
    double x = 0.8;
    double eps = -0.3;
    double x0 = (x - Math.sqrt(1 - abar501) * eps) / Math.sqrt(abar501);
    double want = Math.sqrt(abar401) * x0 + Math.sqrt(1 - abar401) * eps;
    DdimScheduler s = new DdimScheduler(DdimSchedulerConfig.sd15());
    INDArray out = s.step(Nd4j.scalar(eps).reshape(1, 1, 1, 1).castTo(DataType.FLOAT), 501, 401,
        Nd4j.scalar(x).reshape(1, 1, 1, 1).castTo(DataType.FLOAT), 0.0, null).prevSample();
    assertEquals(want, out.getDouble(0), 1e-6);
    assertEquals(401, s.prevTimestep(501, 10));
  }

  @Test
  void badInputNamesTheValue() {
    DdimScheduler s = new DdimScheduler(DdimSchedulerConfig.sd15());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> s.timesteps(1001)).getMessage()
        .contains("num_inference_steps = 1001"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Ddim.steps(10).eta(-0.5)).getMessage()
        .contains("eta = -0.5"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> DdimSchedulerConfig.sd15().withPredictionType("flow")).getMessage().contains("\"flow\""));
  }
}
