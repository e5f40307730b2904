package org.draft4j.examples.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.draft4j.lora.Lora;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.samplers.Ddim;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spark.LocalCluster;
import org.draft4j.spark.SparkDataParallel;
import org.draft4j.spark.TrainerRecipe;
import org.draft4j.train.DraftTrainer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code bench --only spark}: DRaFT-1 steps on the ShapesWorld model (rank-4 LoRA, DDIM 10 steps,
 * guidance 5, 2 micro-batches of 2 a step) in this process, then on a local Spark cluster
 * ({@link LocalCluster}) with 1 and 2 executor JVMs of one engine thread each: seconds per step
 * after one warm-up step (which builds the replicas), the Spark round trip's overhead per step
 * (1 worker − this process), and the largest difference of the final adapter from this process's.
 */
final class SparkBench {
  private SparkBench() {}

  /** The benchmark's trainer: the same on the driver and on every executor. */
  static DraftTrainer.Builder builder() {
    TextToImageModel m = ShapesWorldModel.pretrained();
    return DraftTrainer.builder().model(m).sampler(Ddim.steps(10, m).guidance(5))
        .reward(ShapesWorldModel.alignmentAndAesthetic(0.5)).adapter(Lora.rank(4).onAttention())
        .objective(Objectives.draftK(1)).optimizer(AdamW.lr(2e-3)).prompts(ShapesWorld.captions(1, 256))
        .batch(2, 4).seed(0);
  }

  static String run(int steps) throws Exception {
    StringBuilder md = new StringBuilder("### Data-parallel DRaFT-1 on Spark (ShapesWorld)\n\n");
    int threads = org.draft4j.engine.ExecutionContext.defaultOptions().threads();
    md.append("Driver engine threads: ").append(threads).append("; executors: 1 engine thread, OMP_NUM_THREADS=1"
        + " each. ").append(steps).append(" timed steps after one warm-up step; global batch 4 = 2 micro-batches of"
        + " 2; `local-cluster[W,1,3072]`: a standalone master and W worker JVMs, each with one executor JVM.\n\n");
    md.append("| where | s/step | steps/s | max abs. adapter difference from this process |\n|---|---|---|---|\n");
    double[] single = new double[1];
    Map<String, INDArray> want = time(builder(), steps, single);
    md.append(String.format(Locale.ROOT, "| this process | %.2f | %.3f | 0 |%n", single[0], 1 / single[0]));
    double oneWorker = Double.NaN;
    TrainerRecipe recipe = SparkBench::builder;
    StringBuilder taskNotes = new StringBuilder();
    for (int workers : new int[] {1, 2}) {
      Path dir = Files.createTempDirectory("draft4j-spark-bench");
      JavaSparkContext sc = new JavaSparkContext(LocalCluster.conf(dir, workers, 3072)
          .setAppName("draft4j bench"));
      double[] t = new double[1];
      Map<String, INDArray> got;
      Map<String, Integer> tasksPerExecutor = new java.util.concurrent.ConcurrentSkipListMap<>();
      java.util.concurrent.atomic.AtomicLong taskMillis = new java.util.concurrent.atomic.AtomicLong();
      sc.sc().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
        @Override
        public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd e) {
          tasksPerExecutor.merge(e.taskInfo().executorId(), 1, Integer::sum);
          taskMillis.addAndGet(e.taskInfo().duration());
        }
      });
      try {
        sc.setLogLevel("ERROR");
        try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(workers).replicas(recipe).build()) {
          got = time(recipe.builder().dataParallel(dp), steps, t);
        }
      } finally {
        sc.stop();
        LocalCluster.clearProperties();
      }
      double max = 0;
      for (Map.Entry<String, INDArray> e : want.entrySet()) {
        float[] a = e.getValue().dup('c').data().asFloat();
        float[] b = got.get(e.getKey()).dup('c').data().asFloat();
        for (int i = 0; i < a.length; i++) {
          max = Math.max(max, Math.abs(a[i] - b[i]));
        }
      }
      if (workers == 1) {
        oneWorker = t[0];
      }
      md.append(String.format(Locale.ROOT, "| Spark, %d worker%s | %.2f | %.3f | %.2g |%n", workers,
          workers == 1 ? "" : "s", t[0], 1 / t[0], max));
      taskNotes.append(String.format(Locale.ROOT, "%d worker%s: tasks per executor %s, mean task %.2f s; ", workers,
          workers == 1 ? "" : "s", tasksPerExecutor, taskMillis.get() / 1e3 / Math.max(1,
              tasksPerExecutor.values().stream().mapToInt(Integer::intValue).sum())));
    }
    md.append(String.format(Locale.ROOT, "%nSpark round trip per step (1 worker − this process): %.2f s. Tasks"
        + " (the warm-up step's included): %s%n", oneWorker - single[0], taskNotes));
    return md.toString();
  }

  /** Trains 1 + steps steps; {@code seconds[0]} = mean seconds of the last {@code steps}; returns the adapter. */
  private static Map<String, INDArray> time(DraftTrainer.Builder b, int steps, double[] seconds) {
    try (DraftTrainer t = b.build()) {
      t.fitTo(1);
      long t0 = System.nanoTime();
      t.fitTo(1 + steps);
      seconds[0] = (System.nanoTime() - t0) / 1e9 / steps;
      return t.parameters();
    }
  }
}
