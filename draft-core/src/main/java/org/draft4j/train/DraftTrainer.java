package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.Version;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;
import org.draft4j.io.Json;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.objectives.Objective;
import org.draft4j.optim.Optimizer;
import org.draft4j.optim.OptimizerState;
import org.draft4j.spi.Adapter;
import org.draft4j.spi.AdapterFormat;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Sampler;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tunes an adapter on a text-to-image model by backpropagating a reward through sampling.
 * Configure once with {@link #builder()} (validated as a whole in {@code build()}; a built trainer's
 * configuration is immutable), then call {@link #fit}. Each optimizer step draws {@code global}
 * samples in micro-batches of {@code micro}, accumulates the objective's gradients (the mean over the
 * global batch), and applies the optimizer to the adapter parameters only: base weights are graph
 * constants and never change.
 *
 * <p>Prompts, initial noise and the objective's randomness are functions of (seed, sample index),
 * so a run is reproducible on one backend and thread count.
 *
 * <p>The trainer runs the loop and owns the state (parameters, optimizer state, step); its
 * collaborators, in this package, do the rest: {@code MicroBatches} computes a micro-batch, {@code
 * GradientSum} and {@code StepStatistics} fold a step's micro-batches, {@code Checkpointing} resumes
 * and writes checkpoints, {@code Sampling} draws the model's inputs and evaluates it.
 */
public final class DraftTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DraftTrainer.class);

  private final TextToImageModel model;
  private final Sampler sampler;
  private final Reward reward;
  private final Objective objective;
  private final Optimizer optimizer;
  private final int micro;
  private final int global;
  private final long seed;
  private final List<TrainingListener> listeners = new ArrayList<>();
  private final UNetDenoiser denoiser;
  private final Adapter adapter;
  private final RewardEvaluator evaluator;
  private final Sampling sampling;
  private final MicroBatches microBatches;
  private final OptimizerState optState;
  private final Map<String, INDArray> params;
  private final GradientSum gradients;
  private final Checkpointing checkpoints;
  private final NonFiniteSteps nonFinite;
  private final ExecutionContext context;
  private final boolean ownsContext;
  private final DataParallel dataParallel;
  private final String rewardFingerprint;
  private final Path checkpointDir;
  private long step;
  private boolean closed;
  /** Set by {@link #requestStop()} from any thread (a signal handler); read between steps. */
  private final java.util.concurrent.atomic.AtomicBoolean stopRequested =
      new java.util.concurrent.atomic.AtomicBoolean();

  private DraftTrainer(Builder b) {
    this.model = b.model;
    this.sampler = b.sampler;
    this.reward = b.reward;
    this.objective = b.objective;
    this.optimizer = b.optimizer;
    this.micro = b.micro;
    this.global = b.global;
    this.seed = b.seed;
    this.listeners.addAll(b.listeners);
    this.checkpointDir = b.checkpointDir;
    this.checkpoints = b.checkpointDir == null ? Checkpointing.none()
        : Checkpointing.in(b.checkpointDir, b.checkpointEvery);
    this.nonFinite = new NonFiniteSteps(b.maxNonFinite);
    this.dataParallel = b.dataParallel;
    this.ownsContext = b.context == null;
    this.context = b.context != null ? b.context : ExecutionContext.create(b.execution);
    this.denoiser = model.newDenoiser(context);
    this.adapter = b.adapterSpec.create(NoiseSource.mix(seed, 0xADA9L));
    denoiser.attach(adapter);
    List<String> adapted = denoiser.adaptedLayers();
    checkArgument(!adapted.isEmpty(), "adapter %s matches no layer of model %s", adapter.name(), model.id());
    this.params = denoiser.trainableParameters();
    this.optState = optimizer.init(params);
    this.gradients = new GradientSum(params, objective.name());
    this.evaluator = new RewardEvaluator(reward, model.decoder(), context);
    this.sampling = new Sampling(model, sampler, denoiser, evaluator);
    this.microBatches = new MicroBatches(sampling, objective, adapter, b.prompts, micro, global, seed);
    if (b.evalPrompts != null) {
      listeners.add(new EvaluationGrids(sampling, b.evalPrompts, b.evalSeeds, b.evalEvery, b.evalDir));
    }
    long[] sh = model.sampleShape();
    evaluator.prepare(micro, sh[0], sh[1], sh[2]);
    // what defines the reward for resuming: its graph (a lambda's class name changes every run)
    this.rewardFingerprint = checkpoints.enabled() ? evaluator.fingerprint(micro, sh[0], sh[1], sh[2]) : null;
    step = checkpoints.resume(params, optState, config());
    LOG.info("adapter {} on {} layers, {} trainable parameters", adapter.name(), adapted.size(),
        params.values().stream().mapToLong(INDArray::length).sum());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The adapter being trained (live). */
  public Adapter adapter() {
    return adapter;
  }

  /** The denoiser with the adapter attached (for sampling with the fine-tuned model). */
  public UNetDenoiser denoiser() {
    return denoiser;
  }

  /** Updates skipped so far because the loss or a gradient was NaN or infinite. */
  public long skippedSteps() {
    return nonFinite.total();
  }

  /** Optimizer steps completed. */
  public long step() {
    return step;
  }

  /** The full configuration (for provenance and resume checks). */
  public TrainingConfig config() {
    return TrainingConfig.of(model.id(), sampler.config(), reward.name(), rewardFingerprint, adapter.config(),
        objective.config(), optimizer.config(), micro, global, seed);
  }

  /** Provenance saved beside every artifact of this trainer (adapter, checkpoint). */
  public Provenance provenance() {
    return new Provenance(Version.VERSION, model.id(), config(), step, seed,
        Nd4j.getBackend().getClass().getSimpleName());
  }

  /** Saves the adapter with {@link #provenance()} in its metadata. */
  public void saveAdapter(Path path, AdapterFormat format) {
    adapter.save(path, format, provenance().toMetadata());
  }

  /** Runs {@code epochs} passes over a prompt list of {@code promptCount} prompts (rounded up to whole steps). */
  public void fitEpochs(int epochs, int promptCount) {
    checkArgument(epochs >= 0 && promptCount >= 1, "epochs = %s must be >= 0 and promptCount = %s >= 1", epochs,
        promptCount);
    fit((int) Math.ceil((double) epochs * promptCount / global));
  }

  /** Runs {@code steps} more optimizer steps. */
  public void fit(int steps) {
    checkArgument(steps >= 0, "steps = %s must be >= 0", steps);
    fitTo(step + steps);
  }

  /**
   * Asks a running (or the next) {@link #fitTo} to stop at the next step boundary: between two
   * optimizer steps it writes a checkpoint of the steps done (with a checkpoint directory) and throws
   * {@link TrainingStoppedException}. Safe to call from any thread, a signal handler's included; the
   * request is used up by the stop it causes. A {@code fitTo} whose target is already reached
   * returns normally and leaves the request for the next one.
   */
  public void requestStop() {
    stopRequested.set(true);
  }

  /** Whether a {@link #requestStop()} is pending. */
  public boolean stopRequested() {
    return stopRequested.get();
  }

  /**
   * Trains until {@link #step()} reaches {@code target} (after a resume this continues where the
   * checkpoint left off). With a checkpoint directory, a checkpoint is written every N steps and at
   * the end.
   *
   * @throws TrainingStoppedException when {@link #requestStop()} was called: at the next step
   *     boundary, after writing the checkpoint
   */
  public void fitTo(long target) {
    checkState(!closed, "trainer is closed");
    TrainingConfig cfg = config();
    listeners.forEach(l -> l.onStart(step, target, cfg));
    Throwable failure = null;
    try {
      while (step < target) {
        if (stopRequested.getAndSet(false)) {
          // a checkpoint of the steps done, as at a fit's end (the same file, written atomically)
          checkpoints.afterStep(step, step, params, optState, this::provenance);
          LOG.info("stopped on request after step {}{}", step, checkpoints.whereLastGood());
          throw new TrainingStoppedException(step, checkpoints.enabled() ? checkpointDir : null);
        }
        StepMetrics m;
        try {
          m = trainStep(target);
        } catch (OutOfMemoryError e) {
          throw new OutOfMemoryError("out of memory in training step " + (step + 1) + " with micro batch " + micro
              + ", sample shape " + Arrays.toString(model.sampleShape()) + ", sampler " + sampler + ", objective "
              + objective.name() + "; lower the micro batch (gradient accumulation keeps the global batch) or K, or"
              + " raise -Xmx / -Dorg.bytedeco.javacpp.maxphysicalbytes (" + e.getMessage() + ")");
        }
        listeners.forEach(l -> l.onStep(m));
        nonFinite.count(m, checkpoints.whereLastGood());
        if (!m.skipped()) {
          checkpoints.afterStep(step, target, params, optState, this::provenance);
        }
      }
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      for (TrainingListener l : listeners) {
        l.onEnd(step, failure);
      }
    }
  }

  /** One optimizer step: the micro-batches, here or on the data-parallel workers, folded in order. */
  private StepMetrics trainStep(long target) {
    long t0 = System.nanoTime();
    int count = microBatches.count();
    double w = (double) micro / global;
    gradients.reset();
    StepStatistics stats = new StepStatistics(w);
    if (dataParallel == null) {
      for (int mb = 0; mb < count; mb++) {
        add(microBatches.compute(step, mb), w, stats);
      }
    } else {
      for (MicroBatchResult r : MicroBatchResult.inIndexOrder(dataParallel.compute(step, count, params), count, step)) {
        add(r, w, stats);
      }
    }
    boolean finite = Double.isFinite(stats.loss()) & gradients.allFinite();
    double norm = Double.NaN;
    double lr = optimizer.learningRate(optState.step());
    if (finite) {
      norm = optimizer.update(params, gradients.values(), optState);
    } else {
      LOG.warn("step {}: non-finite loss or gradient; update skipped", step + 1);
    }
    step++;
    return stats.metrics(step, target, norm, lr, t0, !finite);
  }

  /** Folds the next micro-batch into the step (in micro-batch order: the same float operations wherever it ran). */
  private void add(MicroBatchResult r, double weight, StepStatistics stats) {
    gradients.add(r.gradients(), weight);
    stats.add(r);
    r.releaseGradients();
  }

  /**
   * Micro-batch {@code mb} of step {@code step} (0-based) at the current parameters: its prompts,
   * seeds and noise are a function of (seed, step, mb) alone, so any replica of this trainer
   * computes the same result. A data-parallel worker calls this on its replica after {@link
   * #setParameters}; the trainer calls it for its own steps. The caller owns the result's arrays
   * (free the gradients with {@link MicroBatchResult#releaseGradients} when done).
   */
  public MicroBatchResult microBatch(long step, int mb) {
    checkState(!closed, "trainer is closed");
    return microBatches.compute(step, mb);
  }

  /** The trainable parameters' current values, copied (what a data-parallel step sends to its workers). */
  public Map<String, INDArray> parameters() {
    Map<String, INDArray> copy = new LinkedHashMap<>();
    params.forEach((k, v) -> copy.put(k, v.dup()));
    return copy;
  }

  /**
   * Sets the trainable parameters (a data-parallel worker's replica receives the driver's each step).
   *
   * @throws IllegalArgumentException naming a parameter that is missing, unknown or of another shape
   */
  public void setParameters(Map<String, INDArray> values) {
    checkArgument(values.keySet().equals(params.keySet()), "setParameters: names %s differ from this trainer's %s",
        values.keySet(), params.keySet());
    params.forEach((k, a) -> {
      INDArray v = values.get(k);
      checkArgument(Arrays.equals(v.shape(), a.shape()), "setParameters: %s has shape %s, this trainer's is %s", k,
          Arrays.toString(v.shape()), Arrays.toString(a.shape()));
      a.assign(v);
    });
  }

  /** Prompt embeddings with the empty prompt as unconditional branch. */
  public Conditioning conditioning(List<String> batchPrompts) {
    return sampling.conditioning(batchPrompts);
  }

  /** Images and rewards of samples. */
  public record Evaluation(INDArray images, INDArray rewards, Map<String, INDArray> terms) {}

  /**
   * Samples the current model (adapter at its current scale) for prompts with fixed per-sample
   * seeds and scores them, without gradient.
   */
  public Evaluation evaluate(List<String> evalPrompts, long[] seeds) {
    return sampling.evaluate(evalPrompts, seeds);
  }

  /**
   * The step a trainer built with {@code .checkpoints(dir, ...)} would resume from: that of the
   * checkpoint in {@code dir} (checksum verified), 0 when the directory holds none.
   */
  public static long checkpointStep(Path dir) {
    checkArgument(dir != null, "checkpoint directory must not be null");
    return Checkpoints.step(dir);
  }

  /** Writes the configuration as JSON (for reproducibility). */
  public void writeConfig(Path file) throws IOException {
    org.draft4j.io.AtomicFiles.writeString(file, Json.writePretty(config()));
  }

  /** The execution context the trainer's graphs run in. */
  public ExecutionContext executionContext() {
    return context;
  }

  /**
   * Frees the trainer's compiled graphs and, unless the context was given to the builder, the
   * context's scratch memory and worker threads; the trainer (and {@link #denoiser()}) cannot be
   * used afterwards.
   */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      denoiser.close();
      evaluator.close();
      if (ownsContext) {
        context.close();
      }
    }
  }

  /**
   * Builder; each setter may be called once, {@link #build()} validates across fields. The
   * components and run settings are set through the setters it inherits ({@code model}, {@code
   * sampler}, {@code reward}, {@code adapter}, {@code objective}, {@code optimizer}, {@code prompts},
   * {@code batch}, {@code seed}, {@code checkpoints}, {@code evaluation}, {@code
   * maxConsecutiveNonFinite}, {@code dataParallel}, {@code listener}); how the graphs execute is set
   * here.
   */
  public static final class Builder extends TrainerSettings {
    private ExecutionContext context;
    private ExecutionOptions execution;

    @Override
    Builder self() {
      return this;
    }

    /**
     * How the trainer's graphs execute (worker threads, checkpointing, activation budget); the
     * trainer creates and closes its own context with these options (default: the process default,
     * {@link ExecutionContext#defaultOptions()}). Exclusive with {@link #context}.
     */
    public Builder execution(ExecutionOptions options) {
      once(execution, "execution");
      checkArgument(options != null, "execution options must not be null");
      execution = options;
      return this;
    }

    /**
     * Runs the trainer's graphs in an existing context (shared with other work; the trainer does not
     * close it). Exclusive with {@link #execution}.
     */
    public Builder context(ExecutionContext c) {
      once(context, "context");
      checkArgument(c != null, "execution context must not be null");
      context = c;
      return this;
    }

    /** Validates every field and their combination, then builds. */
    public DraftTrainer build() {
      validate();
      checkArgument(execution == null || context == null,
          "execution options and an execution context were both given; set one (the context has its own options)");
      if (execution == null) {
        execution = ExecutionContext.defaultOptions();
      }
      complete();
      DraftTrainer t = new DraftTrainer(this);
      if (dataParallel != null) {
        try {
          dataParallel.validate(t.config(), global / micro);
        } catch (RuntimeException e) {
          t.close();
          throw e;
        }
      }
      return t;
    }
  }
}
