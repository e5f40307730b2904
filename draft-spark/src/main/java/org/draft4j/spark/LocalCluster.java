package org.draft4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;

/**
 * A real multi-process Spark on this machine without a Spark installation, for tests and
 * benchmarks: {@code local-cluster[N,1,MB]} starts a standalone master and N worker JVMs in this
 * process's JVM, each launching one executor JVM on this JVM's classpath. Spark's executor launcher
 * wants a Spark home; this makes an empty one (a {@code jars} folder and the Scala version's marker)
 * under {@code dir} and points Spark's test home at it. The executors get this JVM's
 * {@code --add-opens} and {@code -Dorg.bytedeco.*} flags and {@code OMP_NUM_THREADS=1}; their engine
 * options are what the {@link TrainerRecipe}'s builder sets ({@code execution(...)}), else the
 * library default of one thread (the library reads no {@code -Ddraft4j.*} property).
 */
public final class LocalCluster {
  private LocalCluster() {}

  /**
   * The configuration of a local cluster of {@code workers} executor JVMs with {@code memoryMb} MB of
   * heap each. Sets the JVM-wide properties
   * {@code spark.testing} and {@code spark.test.home}, which Spark's workers read.
   */
  public static SparkConf conf(Path dir, int workers, int memoryMb) {
    Path home = dir.resolve("spark-home");
    try {
      Files.createDirectories(home.resolve("jars"));
      Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.setProperty("spark.testing", "true");
    System.setProperty("spark.test.home", home.toAbsolutePath().toString());
    String flags = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Dorg.bytedeco") || a.startsWith("-Dorg.slf4j"))
        .toList());
    return new SparkConf().setMaster("local-cluster[" + workers + ",1," + memoryMb + "]")
        .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        .set("spark.executor.extraJavaOptions", flags)
        .set("spark.executorEnv.OMP_NUM_THREADS", "1")
        .set("spark.task.maxFailures", "4");
  }

  /** Clears the properties {@link #conf} set. */
  public static void clearProperties() {
    System.clearProperty("spark.testing");
    System.clearProperty("spark.test.home");
  }
}
