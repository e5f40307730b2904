package org.draft4j.spark;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.draft4j.train.DataParallel;
import org.draft4j.train.DraftTrainer;
import org.draft4j.train.MicroBatchResult;
import org.draft4j.train.TrainingConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Synchronous data parallelism on Apache Spark. Each step: the driver broadcasts the trainable
 * parameters (a LoRA: a few MB even for SD 1.5 at rank 4), one Spark task per worker computes its
 * share of the step's micro-batches on its executor's replica ({@link TrainerRecipe}, built once per
 * executor JVM) and returns each micro-batch's gradient, and the driver's trainer folds them in
 * micro-batch order and applies its optimizer.
 *
 * <p>Why collect per-micro-batch gradients instead of summing them on the executors
 * ({@code treeAggregate}): the driver then adds them in the single process's order, so a run on
 * any number of workers, and a task that Spark retried, give the single-process adapter bit for bit.
 * The cost is {@code global/micro} adapter-sized messages a step instead of {@code workers}: small
 * next to a step's compute for LoRA. A failed task (or a lost executor) is retried by Spark; its
 * micro-batches are a function of (seed, step, index) and the broadcast parameters, so the retry
 * gives the same gradients.
 *
 * <pre>{@code
 * try (SparkDataParallel dp = SparkDataParallel.on(sc).workers(2).replicas(recipe).build();
 *      DraftTrainer trainer = recipe.builder().dataParallel(dp).checkpoints(dir, 10).build()) {
 *   trainer.fit(steps);
 * }
 * }</pre>
 */
public final class SparkDataParallel implements DataParallel {
  private final JavaSparkContext sc;
  private final int workers;
  private final TrainerRecipe recipe;
  private final String id = UUID.randomUUID().toString();
  private TrainingConfig driverConfig;

  private SparkDataParallel(Builder b) {
    this.sc = b.sc;
    this.workers = b.workers;
    this.recipe = b.recipe;
  }

  /** Starts a builder on a Spark context. */
  public static Builder on(SparkContext sc) {
    return new Builder(JavaSparkContext.fromSparkContext(checkNotNull(sc, "spark context")));
  }

  /** Starts a builder on a Spark context. */
  public static Builder on(JavaSparkContext sc) {
    return new Builder(checkNotNull(sc, "spark context"));
  }

  @Override
  public int workers() {
    return workers;
  }

  @Override
  public void validate(TrainingConfig config, int microBatches) {
    DataParallel.super.validate(config, microBatches);
    checkState(!sc.sc().isStopped(), "dataParallel: the Spark context is stopped");
    driverConfig = config;
  }

  @Override
  public List<MicroBatchResult> compute(long step, int count, Map<String, INDArray> params) {
    checkState(driverConfig != null, "dataParallel: not validated by a trainer (give it to DraftTrainer.builder()"
        + ".dataParallel)");
    List<Integer> indices = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      indices.add(i);
    }
    // the wire format exists here only: parameters out as float arrays, results back as float arrays
    Broadcast<Map<String, WireTensor>> b = sc.broadcast(WireTensor.of(params));
    try {
      sc.setJobDescription("draft4j step " + (step + 1));
      // contiguous slices: worker w computes micro-batches [w·count/workers, (w+1)·count/workers)
      List<WireMicroBatch> wire = sc.parallelize(indices, workers)
          .mapPartitions(new Task(id, recipe, driverConfig, b, step)).collect();
      return wire.stream().map(WireMicroBatch::toResult).toList();
    } finally {
      b.destroy();
    }
  }

  /** Closes this JVM's replicas (executors close theirs when they exit). */
  @Override
  public void close() {
    Replicas.release(id);
  }

  /** One worker's share of a step, run on an executor. */
  private static final class Task implements FlatMapFunction<Iterator<Integer>, WireMicroBatch> {
    private static final long serialVersionUID = 1L;
    private final String id;
    private final TrainerRecipe recipe;
    private final TrainingConfig driverConfig;
    private final Broadcast<Map<String, WireTensor>> params;
    private final long step;

    Task(String id, TrainerRecipe recipe, TrainingConfig driverConfig, Broadcast<Map<String, WireTensor>> params,
        long step) {
      this.id = id;
      this.recipe = recipe;
      this.driverConfig = driverConfig;
      this.params = params;
      this.step = step;
    }

    @Override
    public Iterator<WireMicroBatch> call(Iterator<Integer> indices) {
      // one task at a time per JVM: two graphs executing at once in one JVM do not give reproducible bits
      // (measured: local[2] with concurrent replicas differed from the single process); an executor with
      // one core per task, as on a cluster, runs one anyway
      synchronized (Replicas.class) {
        DraftTrainer replica = Replicas.borrow(id, this::replica);
        List<WireMicroBatch> out = new ArrayList<>();
        try {
          replica.setParameters(WireTensor.arrays(params.value()));
          while (indices.hasNext()) {
            out.add(WireMicroBatch.of(replica.microBatch(step, indices.next())));
          }
        } finally {
          Replicas.giveBack(id, replica);
        }
        return out.iterator();
      }
    }

    private DraftTrainer replica() {
      DraftTrainer t;
      try {
        t = recipe.builder().build();
      } catch (RuntimeException | Error e) {
        throw new IllegalStateException("dataParallel: this executor could not build its replica from the recipe ("
            + e + "); the model source and every file the recipe reads must be readable on each executor", e);
      }
      String field = t.config().differenceFrom(driverConfig);
      if (field != null) {
        t.close();
        throw new IllegalStateException("dataParallel: the executor's replica differs from the driver's trainer at "
            + field + " (the recipe must build the same trainer everywhere: same model, reward, objective, sampler,"
            + " adapter, prompts, batch and seed)");
      }
      return t;
    }
  }

  /** Builder: {@code SparkDataParallel.on(sc).workers(n).replicas(recipe).build()}. */
  public static final class Builder {
    private final JavaSparkContext sc;
    private Integer workers;
    private TrainerRecipe recipe;

    private Builder(JavaSparkContext sc) {
      this.sc = sc;
    }

    /** Workers (Spark tasks) a step is spread over; it must divide the step's micro-batches. */
    public Builder workers(int n) {
      checkState(workers == null, "workers is already set (to %s)", workers);
      checkArgument(n >= 1, "workers = %s: must be >= 1", n);
      workers = n;
      return this;
    }

    /** How each executor builds its replica of the trainer (and how the driver builds its own). */
    public Builder replicas(TrainerRecipe r) {
      checkState(recipe == null, "replicas is already set");
      recipe = checkNotNull(r, "replicas");
      return this;
    }

    /** Checks that the recipe can be sent to executors and returns the data-parallel setting. */
    public SparkDataParallel build() {
      checkState(workers != null, "SparkDataParallel: workers is not set");
      checkState(recipe != null, "SparkDataParallel: replicas (the trainer recipe) is not set");
      try {
        new java.io.ObjectOutputStream(java.io.OutputStream.nullOutputStream()).writeObject(recipe);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("SparkDataParallel: replicas: the recipe is not serializable (" + e
            + "); it must capture only serializable values, such as a model folder path, not a loaded model", e);
      }
      return new SparkDataParallel(this);
    }
  }
}
