package org.draft4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The EMA's schedule and update against diffusers' {@code EMAModel} (v0.25.1 {@code
 * training_utils.py}: {@code get_decay}, {@code step}) computed by hand.
 */
class EmaTest {
  private static Map<String, INDArray> params(DataType type, double value) {
    Map<String, INDArray> p = new LinkedHashMap<>();
    p.put("w", Nd4j.valueArrayOf(new long[] {2, 3}, value, type));
    return p;
  }

  @Test
  void theDefaultScheduleCopiesFirstThenRisesAsOnePlusKOverTenPlusKUpToDecay() {
    Ema e = Ema.decay(0.9999);
    assertEquals(0.0, e.decayAt(1)); // k = 0: the first update copies
    assertEquals(2.0 / 11, e.decayAt(2));
    assertEquals(3.0 / 12, e.decayAt(3));
    assertEquals(11.0 / 20, e.decayAt(11));
    assertEquals(0.9999, e.decayAt(1_000_000)); // (1 + k)/(10 + k) > 0.9999 from k = 89,991 on
    assertEquals(89_991.0 / 90_000, e.decayAt(89_991), 1e-15);
    Ema late = Ema.decay(0.9999).updateAfterStep(2);
    assertEquals(0.0, late.decayAt(1));
    assertEquals(0.0, late.decayAt(3)); // the first update_after_step + 1 updates copy
    assertEquals(2.0 / 11, late.decayAt(4));
    Ema floor = Ema.decay(0.999).minDecay(0.5);
    assertEquals(0.0, floor.decayAt(1)); // diffusers returns 0 before min_decay applies
    assertEquals(0.5, floor.decayAt(2)); // 2/11 raised to min_decay
    assertEquals(12.0 / 21, floor.decayAt(12));
  }

  @Test
  void theWarmupScheduleIsOneMinusOnePlusKOverInvGammaToTheMinusPower() {
    Ema e = Ema.decay(0.9999).warmup(1.0, 2.0 / 3);
    assertEquals(0.0, e.decayAt(1));
    assertEquals(1 - 0.6299605249474366, e.decayAt(2), 1e-15); // 1 − 2^(−2/3)
    assertEquals(1 - 0.4807498567691362, e.decayAt(3), 1e-15); // 1 − 3^(−2/3)
    assertEquals(0.999, e.decayAt(31_623), 2e-8); // (1 + 31,622)^(−2/3) ≈ 1e-3, diffusers' 31.6K steps
    Ema short_ = Ema.decay(0.9999).warmup(2.0, 0.75);
    assertEquals(1 - 0.43869133765083085, short_.decayAt(5), 1e-15); // k = 4: 1 − (1 + 4/2)^(−3/4) = 1 − 3^(−3/4)
    assertEquals(0.9999, short_.decayAt(10_000_000)); // capped at decay
    assertEquals(1 - 0.6299605249474366, Ema.decay(0.9).minDecay(0.3).warmup(1.0, 2.0 / 3).decayAt(2), 1e-15); // 0.370 ≥ 0.3
    assertEquals(0.5, Ema.decay(0.9).minDecay(0.5).warmup(1.0, 2.0 / 3).decayAt(2)); // 0.370 raised to 0.5
  }

  /**
   * θ₀ = 0.5 at init, then θ = 1, 2, 4, 8 after four steps, decay capped at 0.3:
   * d = 0, 2/11, 3/12, min(4/13, 0.3) = 0.3, so s = 1, 2/11·1 + 9/11·2 = 20/11,
   * ¼·20/11 + ¾·4 = 38/11, 0.3·38/11 + 0.7·8 = 73/11.
   */
  @Test
  void theUpdateMatchesAHandComputationOverFourSteps() {
    double[] theta = {1, 2, 4, 8};
    double[] want = {1, 20.0 / 11, 38.0 / 11, 73.0 / 11};
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) { // host loop and ND4J ops
      Ema e = Ema.decay(0.3);
      Map<String, INDArray> p = params(type, 0.5);
      EmaState s = e.init(p);
      assertEquals(0, s.step());
      assertEquals(p.get("w"), s.shadow().get("w"));
      float shadowF = 0.5f;
      for (int i = 0; i < 4; i++) {
        p.get("w").assign(theta[i]);
        double d = e.update(s, p);
        assertEquals(new double[] {0, 2.0 / 11, 0.25, 0.3}[i], d, 1e-15);
        assertEquals(i + 1, s.step());
        double[] got = s.shadow().get("w").dup().data().asDouble();
        for (double g : got) {
          assertEquals(want[i], g, type == DataType.FLOAT ? 1e-6 : 1e-14, type + " step " + (i + 1));
        }
        // the float path rounds as PyTorch's s.sub_(one_minus_decay * (s - p)) in float32
        float c = (float) (1 - d);
        shadowF = shadowF - c * (shadowF - (float) theta[i]);
        if (type == DataType.FLOAT) {
          assertEquals(shadowF, (float) got[0], 0f, "step " + (i + 1) + " bit for bit with the float formula");
        }
      }
      assertEquals(8.0, p.get("w").getDouble(0)); // the parameters are untouched
    }
  }

  @Test
  void everyShadowElementFollowsItsOwnParameter() {
    Ema e = Ema.decay(0.9);
    Map<String, INDArray> p = new LinkedHashMap<>();
    p.put("a", Nd4j.createFromArray(new float[] {1, -2, 3}));
    p.put("b", Nd4j.createFromArray(new float[] {10}));
    EmaState s = e.init(p);
    e.update(s, p); // copies
    p.get("a").assign(Nd4j.createFromArray(new float[] {2, -4, 6}));
    p.get("b").assign(0);
    e.update(s, p); // d = 2/11
    float c = (float) (1 - 2.0 / 11);
    assertArrayEquals(new float[] {1 - c * (1 - 2), -2 - c * (-2 + 4), 3 - c * (3 - 6)},
        s.shadow().get("a").toFloatVector(), 0f);
    assertArrayEquals(new float[] {10 - c * 10}, s.shadow().get("b").toFloatVector(), 0f);
  }

  @Test
  void mismatchedParametersAreRefusedNamingThem() {
    Ema e = Ema.decay(0.9);
    EmaState s = e.init(params(DataType.FLOAT, 1));
    Map<String, INDArray> other = new LinkedHashMap<>();
    other.put("v", Nd4j.zeros(DataType.FLOAT, 2, 3));
    IllegalArgumentException names = assertThrows(IllegalArgumentException.class, () -> e.update(s, other));
    assertTrue(names.getMessage().contains("[v]") && names.getMessage().contains("[w]"), names.getMessage());
    Map<String, INDArray> shape = new LinkedHashMap<>();
    shape.put("w", Nd4j.zeros(DataType.FLOAT, 3, 2));
    IllegalArgumentException sh = assertThrows(IllegalArgumentException.class, () -> e.update(s, shape));
    assertTrue(sh.getMessage().contains("w has shape [3, 2]"), sh.getMessage());
    assertEquals(0, s.step());
  }

  @Test
  void invalidHyperparametersAreRefusedNamingTheFieldAndTheAllowedRange() {
    String[][] cases = {
      {msg(() -> Ema.decay(1.0)), "decay = 1.0 must be in (0, 1)"},
      {msg(() -> Ema.decay(0)), "decay = 0.0 must be in (0, 1)"},
      {msg(() -> Ema.decay(Double.NaN)), "decay = NaN"},
      {msg(() -> Ema.decay(0.9).minDecay(0.95)), "min_decay = 0.95 must be in [0, decay = 0.9]"},
      {msg(() -> Ema.decay(0.9).updateAfterStep(-1)), "update_after_step = -1 must be >= 0"},
      {msg(() -> Ema.decay(0.9).warmup(0, 0.5)), "inv_gamma = 0.0 must be finite and > 0"},
      {msg(() -> Ema.decay(0.9).warmup(1, Double.POSITIVE_INFINITY)), "power = Infinity must be finite and > 0"},
      {msg(() -> Ema.decay(0.9).decayAt(0)), "update number = 0 must be >= 1"},
    };
    for (String[] c : cases) {
      assertTrue(c[0].contains(c[1]), c[0] + " should contain " + c[1]);
    }
  }

  private static String msg(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }

  @Test
  void theConfigurationNamesEveryFieldThatChangesTheResultAndRoundTrips() {
    Ema plain = Ema.decay(0.9999).updateAfterStep(10);
    assertEquals("{\"ema\":\"diffusers\",\"decay\":0.9999,\"min_decay\":0.0,\"update_after_step\":10,"
        + "\"use_ema_warmup\":false}", Json.write(plain.config())); // inv_gamma, power unused: not compared
    Ema warm = Ema.decay(0.999).minDecay(0.1).warmup(2.0, 0.75);
    assertEquals("{\"ema\":\"diffusers\",\"decay\":0.999,\"min_decay\":0.1,\"update_after_step\":0,"
        + "\"use_ema_warmup\":true,\"inv_gamma\":2.0,\"power\":0.75}", Json.write(warm.config()));
    for (Ema e : new Ema[] {plain, warm}) {
      Ema back = e.hyperparameters().ema();
      assertEquals(e.config(), back.config());
      for (long n = 1; n < 40; n++) {
        assertEquals(e.decayAt(n), back.decayAt(n));
      }
    }
  }
}
