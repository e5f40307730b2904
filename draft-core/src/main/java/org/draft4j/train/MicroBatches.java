package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.ObjectiveResult;
import org.draft4j.spi.Adapter;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The micro-batches of a training run: micro-batch {@code mb} of step {@code step} takes samples
 * {@code step·global + mb·micro ...} of the prompt source, with seeds, initial noise, adapter
 * dropout and objective randomness drawn from (seed, step, mb, sample index) alone, and runs the
 * objective on them at the current parameters. Any replica of a trainer thus computes the same
 * result for the same parameters.
 */
final class MicroBatches {
  private static final Logger LOG = LoggerFactory.getLogger(MicroBatches.class);
  private final Sampling sampling;
  private final Objective objective;
  private final Adapter adapter;
  private final PromptSource prompts;
  private final int micro;
  private final int global;
  private final long seed;

  /**
   * @param sampling the model, sampler and reward
   * @param objective the training objective
   * @param adapter the adapter being trained (told the step's dropout seed)
   * @param prompts the prompt source
   * @param micro samples per micro-batch
   * @param global samples per step (a multiple of {@code micro})
   * @param seed the run's seed
   */
  MicroBatches(Sampling sampling, Objective objective, Adapter adapter, PromptSource prompts, int micro, int global,
      long seed) {
    this.sampling = sampling;
    this.objective = objective;
    this.adapter = adapter;
    this.prompts = prompts;
    this.micro = micro;
    this.global = global;
    this.seed = seed;
  }

  /** Micro-batches per step, {@code global / micro}. */
  int count() {
    return global / micro;
  }

  /**
   * Computes micro-batch {@code mb} of step {@code step} (0-based). A micro-batch whose objective
   * fails with an {@link ArithmeticException} (a NaN reward) gives a NaN loss and no gradient.
   */
  MicroBatchResult compute(long step, int mb) {
    checkArgument(step >= 0 && mb >= 0 && mb < count(), "microBatch(step = %s, mb = %s): mb must be in [0, %s)", step,
        mb, count());
    long start = step * global + (long) mb * micro;
    List<String> batchPrompts = prompts.batch(start, micro, seed);
    long[] seeds = new long[micro];
    for (int j = 0; j < micro; j++) {
      seeds[j] = NoiseSource.mix(seed, start + j);
    }
    Conditioning cond = sampling.conditioning(batchPrompts);
    INDArray xT = sampling.initialNoise(seeds);
    ObjectiveContext ctx = new ObjectiveContext(sampling.denoiser(), sampling.sampler(), cond, sampling.rewards(),
        batchPrompts, xT, seeds, new SplittableRandom(NoiseSource.mix(seed, step, mb, 0x0B7L)));
    ObjectiveResult r;
    adapter.beginTrainingStep(NoiseSource.mix(seed, step, mb, 0xD0L));
    try {
      r = objective.compute(ctx);
    } catch (ArithmeticException e) {
      LOG.warn("step {}: {}; update skipped", step + 1, e.getMessage());
      r = new ObjectiveResult(Double.NaN, Map.of(), Nd4j.valueArrayOf(new long[] {micro}, Double.NaN), Map.of(),
          Map.of());
    } finally {
      adapter.endTrainingStep();
    }
    // the gradients are the objective's to hand over; rewards and terms are copied (small), so that the
    // result does not depend on what the reward's graph computes next
    Map<String, INDArray> terms = new LinkedHashMap<>();
    r.terms().forEach((k, v) -> terms.put(k, copy(v)));
    return new MicroBatchResult(mb, r.loss(), r.gradients(), copy(r.rewards()), terms, r.metrics());
  }

  private static INDArray copy(INDArray a) {
    return a.castTo(DataType.FLOAT).dup('c');
  }

  /** The error for running out of memory in {@code step}, saying what to lower. */
  OutOfMemoryError outOfMemory(long step, long[] sampleShape, Object sampler, OutOfMemoryError e) {
    return new OutOfMemoryError("out of memory in training step " + step + " with micro batch " + micro
        + ", sample shape " + java.util.Arrays.toString(sampleShape) + ", sampler " + sampler + ", objective "
        + objective.name() + "; lower the micro batch (gradient accumulation keeps the global batch) or K, or"
        + " raise -Xmx / -Dorg.bytedeco.javacpp.maxphysicalbytes (" + e.getMessage() + ")");
  }
}
