package org.draft4j.examples.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.draft4j.examples.Launcher;
import org.draft4j.models.TextToImageModel;
import org.draft4j.spark.SparkDataParallel;
import org.draft4j.spark.TrainerRecipe;
import org.draft4j.train.DraftTrainer;

/**
 * {@code train --spark-master URL}: a Spark context for the run and its data-parallel setting. The
 * executors' replicas are built from the run's settings as given ({@link SettingsRecipe}), so they
 * are the trainer {@code train} builds here, without its outputs.
 */
final class SparkTraining implements AutoCloseable {
  private final JavaSparkContext sc;
  private final SparkDataParallel dp;

  private SparkTraining(JavaSparkContext sc, SparkDataParallel dp) {
    this.sc = sc;
    this.dp = dp;
  }

  /** Starts the context on {@code settings.spark().master()}; bad masters are refused naming the option. */
  static SparkTraining start(TrainSettings settings) {
    JavaSparkContext sc;
    try {
      sc = new JavaSparkContext(new SparkConf().setMaster(settings.spark().master()).setAppName("draft4j train")
          .setIfMissing("spark.ui.enabled", "false"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--spark-master = \"" + settings.spark().master() + "\": cannot start Spark"
          + " there (" + Launcher.message(e) + ")", e);
    }
    sc.setLogLevel("ERROR");
    try {
      // one trivial job: returns once an executor runs it, fails when the master never answers (a
      // standalone client gives up after about a minute and stops the context)
      sc.parallelize(java.util.List.of(1), 1).count();
    } catch (RuntimeException e) {
      sc.stop();
      String why = Launcher.message(e);
      why = why.contains("stopped SparkContext") ? "Spark stopped the context: the master did not answer"
          : why.split("\\. ", 2)[0];
      throw new IllegalArgumentException("--spark-master = \"" + settings.spark().master() + "\": no executor ran a"
          + " task there (" + why + "); check the master URL and that workers are registered", e);
    }
    try {
      SparkDataParallel dp = SparkDataParallel.on(sc).workers(settings.spark().workers())
          .replicas(new SettingsRecipe(Map.copyOf(settings.given()))).build();
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

  /** An executor's replica: the settings parsed again there, the model loaded there. */
  record SettingsRecipe(Map<String, String> given) implements TrainerRecipe {
    @Override
    public DraftTrainer.Builder builder() {
      TrainSettings s = TrainOptions.parse(given);
      TextToImageModel model;
      try {
        model = s.model().load();
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--model = \"" + s.model().path() + "\": an executor cannot load it ("
            + Launcher.message(e) + "); give a folder every executor can read", e);
      }
      try {
        return TrainRun.trainerBuilder(s, model, s.reward().build(), TrainRun.trainingPrompts(s.prompts()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
