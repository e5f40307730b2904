package org.draft4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.draft4j.testing.ToyRewards;
import org.draft4j.train.MicroBatchResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same training on a real multi-process Spark: a standalone master and two worker JVMs, each
 * starting its own executor JVM ({@code local-cluster[2,1,1024]}), with the test's classpath.
 */
class SparkClusterTest {
  @TempDir Path dir;

  @Test
  void twoExecutorJvmsGiveTheSingleProcessAdapter() throws Exception {
    Map<String, MicroBatchResult.Tensor> want = SparkDataParallelTest.train(
        SparkDataParallelTest.builder(ToyRewards.contrast()), 3);
    int threads = Integer.parseInt(System.getProperty("draft4j.threads",
        String.valueOf(Runtime.getRuntime().availableProcessors())));
    SparkConf conf = LocalCluster.conf(dir, 2, 1024, threads).setAppName("draft4j-cluster-test");
    JavaSparkContext sc = new JavaSparkContext(conf);
    try {
      sc.setLogLevel("ERROR");
      TrainerRecipe recipe = () -> SparkDataParallelTest.builder(ToyRewards.contrast());
      try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(2).replicas(recipe).build()) {
        // within 1e-6 (measured: max |difference| 4.6e-7 after 3 steps); in one JVM (SparkDataParallelTest)
        // the bits are the same. What still differs in an executor JVM's last bits is not yet found
        Map<String, MicroBatchResult.Tensor> got = SparkDataParallelTest.train(recipe.builder().dataParallel(dp), 3);
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> {
          float[] a = v.values();
          float[] b = got.get(k).values();
          for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-6, k + "[" + i + "]");
          }
        });
      }
      // the work ran in two executor processes other than this one
      long executors = sc.sc().getExecutorMemoryStatus().size() - 1;
      assertEquals(2, executors, sc.sc().getExecutorMemoryStatus().keySet().toString());
    } finally {
      sc.stop();
      LocalCluster.clearProperties();
    }
  }
}
