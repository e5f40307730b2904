package org.draft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The report's comparison of diversity at equal reward. */
class ResultsTest {
  @Test
  void diversityAtInterpolatesWhereTheRewardIsFirstReached() {
    double[][] h = {{1.0, 2.0, 4.0, 3.0}, {0.30, 0.28, 0.20, 0.10}, {0, 5, 10, 15}};
    assertEquals(0.30, Results.diversityAt(h, 0.5), 1e-12); // reached before training
    assertEquals(0.29, Results.diversityAt(h, 1.5), 1e-12); // halfway between the first two evaluations
    assertEquals(0.24, Results.diversityAt(h, 3.0), 1e-12); // first crossing, not the later one at step 15
    assertEquals(0.10, Results.diversityAt(h, 9.0), 1e-12); // never reached: the last evaluation
  }

  @Test
  void smoothIsATrailingMovingAverage() {
    double[] y = Results.smooth(new double[] {1, 2, 3, 4}, 2);
    assertEquals(1.0, y[0], 1e-12);
    assertEquals(1.5, y[1], 1e-12);
    assertEquals(3.5, y[3], 1e-12);
  }
}
