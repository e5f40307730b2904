package org.draft4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.spi.Reward;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.draft4j.train.DraftTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Data-parallel training on Spark gives the single-process adapter bit for bit, also when a task fails. */
class SparkDataParallelTest {
  static final List<String> PROMPTS = List.of("a red star", "a blue square", "a green circle", "a white ring");
  static JavaSparkContext sc;
  @TempDir Path dir;

  @BeforeAll
  static void start() {
    // two task slots, a failed task retried up to 3 times
    sc = new JavaSparkContext(new SparkConf().setMaster("local[2,4]").setAppName("draft4j-test")
        .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1"));
    sc.setLogLevel("ERROR");
  }

  @AfterAll
  static void stop() {
    sc.stop();
  }

  /** The tiny trainer: 4 micro-batches of 2 a step. */
  static DraftTrainer.Builder builder(Reward reward) {
    return builder(reward, 3);
  }

  static DraftTrainer.Builder builder(Reward reward, long seed) {
    return DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0)).reward(reward)
        .adapter(ToyAdapter.spec()).objective(Objectives.draftK(2)).optimizer(AdamW.lr(1e-2)).prompts(PROMPTS)
        .batch(2, 8).seed(seed);
  }

  static Map<String, INDArray> train(DraftTrainer.Builder b, int steps) {
    try (DraftTrainer t = b.build()) {
      t.fitTo(steps);
      return t.parameters();
    }
  }

  static void assertSameBits(Map<String, INDArray> want, Map<String, INDArray> got) {
    assertEquals(want.keySet(), got.keySet());
    want.forEach((k, v) -> {
      float[] a = v.dup('c').data().asFloat();
      float[] b = got.get(k).dup('c').data().asFloat();
      double max = 0;
      for (int i = 0; i < a.length; i++) {
        max = Math.max(max, Math.abs(a[i] - b[i]));
      }
      assertTrue(java.util.Arrays.equals(a, b), k + " differs (max |difference| " + max + ")");
    });
  }

  @Test
  void twoWorkersGiveTheSingleProcessAdapterBitForBit() {
    Map<String, INDArray> want = train(builder(ToyRewards.contrast()), 3);
    TrainerRecipe recipe = () -> builder(ToyRewards.contrast());
    for (int workers : new int[] {1, 2, 4}) {
      try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(workers).replicas(recipe).build()) {
        assertSameBits(want, train(recipe.builder().dataParallel(dp), 3));
      }
    }
  }

  /**
   * The test prompts, failing the first attempt of Spark partition 1 once, in its first micro-batch
   * (a marker file remembers the failure across attempts and JVMs).
   */
  record FailOncePrompts(String marker) implements org.draft4j.train.PromptSource, java.io.Serializable {
    @Override
    public String prompt(long index, long seed) {
      TaskContext tc = TaskContext.get();
      if (tc != null && tc.partitionId() == 1 && tc.attemptNumber() == 0 && !Files.exists(Path.of(marker))) {
        try {
          Files.writeString(Path.of(marker), "failed once");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("injected failure of partition 1, attempt 0, mid-step");
      }
      return org.draft4j.train.PromptSource.of(PROMPTS).prompt(index, seed);
    }
  }

  @Test
  void aFailedTaskIsRetriedAndGivesTheSameAdapter() {
    Map<String, INDArray> want = train(builder(ToyRewards.contrast()), 3);
    String marker = dir.resolve("failed").toString();
    TrainerRecipe recipe = () -> DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0))
        .reward(ToyRewards.contrast()).adapter(ToyAdapter.spec()).objective(Objectives.draftK(2))
        .optimizer(AdamW.lr(1e-2)).prompts(new FailOncePrompts(marker)).batch(2, 8).seed(3);
    try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(2).replicas(recipe).build()) {
      assertSameBits(want, train(recipe.builder().dataParallel(dp), 3));
    }
    assertTrue(Files.exists(Path.of(marker)), "the failure was not injected");
  }

  @Test
  void workersThatDoNotDivideTheMicroBatchesAreRefusedAtBuild() {
    TrainerRecipe recipe = () -> builder(ToyRewards.contrast());
    try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(3).replicas(recipe).build()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> recipe.builder().dataParallel(dp).build());
      assertTrue(e.getMessage().contains("workers = 3") && e.getMessage().contains("global / micro = 4"),
          e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SparkDataParallel.on(sc).workers(0));
    assertTrue(e.getMessage().contains("workers = 0"), e.getMessage());
  }

  @Test
  void aModelSourceTheExecutorsCannotReadFailsTheFirstStepNamingIt() {
    TrainerRecipe unreadable = () -> {
      if (TaskContext.get() != null) { // on an executor: the driver's folder is not there
        throw new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("/data/models/sd15/unet"));
      }
      return builder(ToyRewards.contrast());
    };
    try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(2).replicas(unreadable).build();
        DraftTrainer t = unreadable.builder().dataParallel(dp).build()) {
      Exception e = assertThrows(Exception.class, () -> t.fitTo(1));
      String m = String.valueOf(e.getMessage());
      assertTrue(m.contains("could not build its replica") && m.contains("/data/models/sd15/unet"), m);
    }
  }

  @Test
  void aRecipeThatBuildsAnotherTrainerIsRefusedNamingTheField() {
    TrainerRecipe other = () -> builder(ToyRewards.contrast(), 4);
    try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(2).replicas(other).build();
        DraftTrainer t = builder(ToyRewards.contrast()).dataParallel(dp).build()) {
      Exception e = assertThrows(Exception.class, () -> t.fitTo(1));
      String m = String.valueOf(e.getMessage());
      assertTrue(m.contains("differs from the driver's trainer at seed"), m);
    }
  }
}
