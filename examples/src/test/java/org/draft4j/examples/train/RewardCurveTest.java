package org.draft4j.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.draft4j.train.StepMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class RewardCurveTest {
  @TempDir Path dir;

  @Test
  void movingAverageIsTrailingOverTheWindow() {
    double[] y = {1, 2, 3, 4, 5, 6};
    // by hand, window 3: 1, (1+2)/2, (1+2+3)/3, (2+3+4)/3, (3+4+5)/3, (4+5+6)/3
    assertArrayEquals(new double[] {1, 1.5, 2, 3, 4, 5}, RewardCurve.movingAverage(y, 3), 1e-12);
    // a skipped (NaN) step is left out of its windows
    assertArrayEquals(new double[] {1, 1, 3, 3}, RewardCurve.movingAverage(new double[] {1, Double.NaN, 3, 3}, 2),
        1e-12);
    assertEquals(10, RewardCurve.WINDOW);
  }

  @Test
  void chartHasTheStepsTheirAverageTheHeldOutLineAndTheBase() throws Exception {
    List<StepMetrics> history = new ArrayList<>();
    double[] r = new double[25];
    for (int s = 1; s <= 25; s++) {
      r[s - 1] = 0.1 * s + (s % 2 == 0 ? 0.3 : -0.3);
      history.add(new StepMetrics(s, 25, 0, r[s - 1], 0, Map.of(), Map.of(), 0, 1e-3, 0, 0, false));
    }
    List<EvalPoint> heldOut = List.of(new EvalPoint(0, 0.25, 0, null, Map.of()),
        new EvalPoint(10, 1.0, 0, null, Map.of()), new EvalPoint(25, 2.0, 0, null, Map.of()));
    XYChart chart = RewardCurve.chart(history, heldOut, "t");
    Map<String, XYSeries> series = chart.getSeriesMap();
    assertEquals(4, series.size(), series.keySet().toString());
    XYSeries avg = series.get(RewardCurve.AVERAGE);
    // step 15 (index 14): the mean of steps 6..15, by hand
    double sum = 0;
    for (int s = 6; s <= 15; s++) {
      sum += r[s - 1];
    }
    assertEquals(sum / 10, avg.getYData()[14], 1e-12);
    assertEquals(r[0], avg.getYData()[0], 1e-12);
    assertArrayEquals(r, series.get(RewardCurve.STEPS).getYData(), 0);
    XYSeries eval = series.entrySet().stream().filter(e -> e.getKey().startsWith(RewardCurve.HELD_OUT)).findFirst()
        .orElseThrow().getValue();
    assertArrayEquals(new double[] {0, 10, 25}, eval.getXData(), 0);
    assertArrayEquals(new double[] {0.25, 1.0, 2.0}, eval.getYData(), 0);
    XYSeries base = series.entrySet().stream().filter(e -> e.getKey().startsWith(RewardCurve.BASE)).findFirst()
        .orElseThrow().getValue();
    assertArrayEquals(new double[] {0.25, 0.25}, base.getYData(), 0);
    assertArrayEquals(new double[] {0, 25}, base.getXData(), 0);
    Path png = dir.resolve("curve.png");
    RewardCurve.write(png, history, heldOut, "t");
    assertTrue(Files.size(png) > 1000);
  }
}
