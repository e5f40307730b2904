package org.draft4j.examples.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.draft4j.train.StepMetrics;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A run's reward as a PNG chart: the training-batch reward of every optimizer step (thin, noisy),
 * its trailing moving average over {@value #WINDOW} steps, the held-out evaluations (the same
 * reward on the fixed evaluation prompts and seeds) as their own line with markers, and the base
 * model's held-out reward as a dashed horizontal line.
 */
final class RewardCurve {
  /**
   * Steps in the moving average: the point at step s is the mean of the training-batch rewards of
   * steps s−9 … s (trailing, so it never looks ahead; the first 9 points average the steps so far).
   */
  static final int WINDOW = 10;

  static final String STEPS = "training batch, per step";
  static final String AVERAGE = "training batch, trailing mean of " + WINDOW + " steps";
  static final String HELD_OUT = "held-out evaluation";
  static final String BASE = "base model, held-out";

  private RewardCurve() {}

  /**
   * Writes the chart of {@code history} and {@code heldOut} (the held-out points in step order, the
   * base model's at step 0 first; empty: no held-out lines).
   */
  static void write(Path file, List<StepMetrics> history, List<EvalPoint> heldOut, String title) throws IOException {
    BitmapEncoder.saveBitmap(chart(history, heldOut, title), file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  static XYChart chart(List<StepMetrics> history, List<EvalPoint> heldOut, String title) {
    XYChart chart = new XYChartBuilder().width(800).height(580).title(title)
        .xAxisTitle("optimizer step").yAxisTitle("mean reward").build();
    Styler st = chart.getStyler();
    st.setLegendPosition(Styler.LegendPosition.OutsideS);
    st.setLegendVisible(true);
    st.setLegendLayout(Styler.LegendLayout.Vertical);
    double[] x = history.stream().mapToDouble(StepMetrics::step).toArray();
    double[] y = history.stream().mapToDouble(StepMetrics::rewardMean).toArray();
    double last = x.length > 0 ? x[x.length - 1] : 0;
    if (x.length > 0) {
      XYSeries raw = chart.addSeries(STEPS, x, y);
      raw.setMarker(SeriesMarkers.NONE);
      raw.setLineColor(new Color(120, 160, 220));
      raw.setLineStyle(new BasicStroke(1f));
      XYSeries avg = chart.addSeries(AVERAGE, x, movingAverage(y, WINDOW));
      avg.setMarker(SeriesMarkers.NONE);
      avg.setLineColor(new Color(20, 60, 160));
      avg.setLineStyle(new BasicStroke(2.5f));
    }
    if (!heldOut.isEmpty()) {
      double[] ex = heldOut.stream().mapToDouble(EvalPoint::step).toArray();
      double[] ey = heldOut.stream().mapToDouble(EvalPoint::reward).toArray();
      last = Math.max(last, ex[ex.length - 1]);
      EvalPoint base = heldOut.get(0);
      XYSeries b = chart.addSeries(String.format(Locale.ROOT, "%s (%.4f)", BASE, base.reward()),
          new double[] {0, Math.max(last, 1)}, new double[] {base.reward(), base.reward()});
      b.setMarker(SeriesMarkers.NONE);
      b.setLineColor(Color.GRAY);
      b.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f},
          0f));
      XYSeries e = chart.addSeries(String.format(Locale.ROOT, "%s (last %.4f)", HELD_OUT, ey[ey.length - 1]), ex, ey);
      e.setMarker(SeriesMarkers.CIRCLE);
      e.setMarkerColor(new Color(200, 80, 0));
      e.setLineColor(new Color(200, 80, 0));
      e.setLineStyle(new BasicStroke(2f));
    }
    return chart;
  }

  /**
   * The trailing moving average of {@code y}: point i is the mean of the finite values among
   * {@code y[i-window+1 .. i]} (fewer at the start; NaN where none is finite, e.g. skipped steps).
   */
  static double[] movingAverage(double[] y, int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window " + window + " < 1");
    }
    double[] m = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      double sum = 0;
      int n = 0;
      for (int j = Math.max(0, i - window + 1); j <= i; j++) {
        if (Double.isFinite(y[j])) {
          sum += y[j];
          n++;
        }
      }
      m[i] = n == 0 ? Double.NaN : sum / n;
    }
    return m;
  }
}
