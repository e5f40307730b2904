package org.draft4j.examples.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.draft4j.train.StepMetrics;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** The training-batch reward per optimizer step as a PNG chart. */
final class RewardCurve {
  private RewardCurve() {}

  static void write(Path file, List<StepMetrics> history, String title) throws IOException {
    double[] x = history.stream().mapToDouble(StepMetrics::step).toArray();
    double[] y = history.stream().mapToDouble(StepMetrics::rewardMean).toArray();
    XYChart chart = new XYChartBuilder().width(640).height(400).title(title)
        .xAxisTitle("optimizer step").yAxisTitle("mean reward (training batch)").build();
    chart.addSeries("reward", x, y);
    chart.getStyler().setLegendVisible(false);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
