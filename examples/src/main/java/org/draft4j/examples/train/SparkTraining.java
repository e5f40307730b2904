package org.draft4j.examples.train;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.draft4j.examples.cli.Failures;
import org.draft4j.spark.SparkDataParallel;
import org.draft4j.spark.TrainerRecipe;

/**
 * {@code train --spark-master URL}: a Spark context for the run and its data-parallel setting. The
 * executors' replicas are built by the recipe {@code train} gives (the run's settings as given), so
 * they are the trainer {@code train} builds here, without its outputs.
 */
final class SparkTraining implements AutoCloseable {
  private final JavaSparkContext sc;
  private final SparkDataParallel dp;

  private SparkTraining(JavaSparkContext sc, SparkDataParallel dp) {
    this.sc = sc;
    this.dp = dp;
  }

  /**
   * Starts the context on {@code settings.spark().master()}, the executors' replicas built by {@code
   * replicas}; bad masters are refused naming the option.
   */
  static SparkTraining start(TrainSettings settings, TrainerRecipe replicas) {
    JavaSparkContext sc;
    try {
      sc = new JavaSparkContext(new SparkConf().setMaster(settings.spark().master()).setAppName("draft4j train")
          .setIfMissing("spark.ui.enabled", "false"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--spark-master = \"" + settings.spark().master() + "\": cannot start Spark"
          + " there (" + Failures.message(e) + ")", e);
    }
    sc.setLogLevel("ERROR");
    try {
      // one trivial job: returns once an executor runs it, fails when the master never answers (a
      // standalone client gives up after about a minute and stops the context)
      sc.parallelize(java.util.List.of(1), 1).count();
    } catch (RuntimeException e) {
      sc.stop();
      String why = Failures.message(e);
      why = why.contains("stopped SparkContext") ? "Spark stopped the context: the master did not answer"
          : why.split("\\. ", 2)[0];
      throw new IllegalArgumentException("--spark-master = \"" + settings.spark().master() + "\": no executor ran a"
          + " task there (" + why + "); check the master URL and that workers are registered", e);
    }
    try {
      SparkDataParallel dp = SparkDataParallel.on(sc).workers(settings.spark().workers())
          .replicas(replicas).build();
      return new SparkTraining(sc, dp);
    } catch (RuntimeException e) {
      sc.stop();
      throw e;
    }
  }

  SparkDataParallel dataParallel() {
    return dp;
  }

  @Override
  public void close() {
    dp.close();
    sc.stop();
  }
}
