package org.draft4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Annealed importance guidance weights by NeMo-Aligner's names. */
class BlendScheduleTest {
  @Test
  void namesGiveNemosWeights() {
    int n = 10;
    for (int i = 0; i < n; i++) {
      double f = (double) i / n;
      assertEquals(0.0, BlendSchedule.parse("base").weight(i, n));
      assertEquals(1.0, BlendSchedule.parse("draft").weight(i, n));
      assertEquals(1.0, BlendSchedule.parse("adapted").weight(i, n));
      assertEquals(f, BlendSchedule.parse("linear").weight(i, n), 1e-15);
      assertEquals(f * f, BlendSchedule.parse("power_2.0").weight(i, n), 1e-15);
      assertEquals(f >= 0.5 ? 1.0 : 0.0, BlendSchedule.parse(" step_0.5 ").weight(i, n));
    }
  }

  @Test
  void badNamesAreRefusedNamingTheForms() {
    for (String bad : new String[] {"cosine", "power_0", "power_x", "step_1.5", "step_", ""}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlendSchedule.parse(bad));
      assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> BlendSchedule.parse(null));
  }
}
