package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.draft4j.Version;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.io.Json;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.objectives.Objective;
import org.draft4j.optim.Ema;
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
 * <p>With {@code ema(...)}, the trainer also keeps an exponential moving average of the adapter
 * weights ({@link Ema}), updated after each applied step and checkpointed; training uses the raw
 * weights, {@link #withAdapterWeights} (and the evaluate/save overloads) the chosen ones.
 *
 * <p>The trainer runs the loop and owns the state (parameters, optimizer state, step); its
 * collaborators, in this package, do the rest: {@code MicroBatches} computes a micro-batch, {@code
 * OptimizerStep} folds a step's micro-batches ({@code GradientSum}, {@code StepStatistics}) and
 * updates, {@code AveragedWeights} keeps the EMA, {@code Checkpointing} resumes and writes
 * checkpoints, {@code Sampling} draws the model's inputs and evaluates it.
 */
public final class DraftTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DraftTrainer.class);

  private final TextToImageModel model;
  private final Sampler sampler;
  private final Reward reward;
  private final Objective objective;
  private final Optimizer optimizer;
  private final AveragedWeights weights;
  private final AdapterWeights evalWeights;
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
  private final OptimizerStep optimizerStep;
  private final Checkpointing checkpoints;
  private final NonFiniteSteps nonFinite;
  private final ExecutionContext context;
  private final boolean ownsContext;
  private final DataParallel dataParallel;
  private final String rewardFingerprint;
  private long step;
  private boolean closed;
  /** Set by {@link #requestStop()} from any thread (a signal handler); read between steps. */
  private final AtomicBoolean stopRequested = new AtomicBoolean();

  DraftTrainer(TrainerSettings b) {
    this.model = b.model;
    this.sampler = b.sampler;
    this.reward = b.reward;
    this.objective = b.objective;
    this.optimizer = b.optimizer;
    this.evalWeights = b.evalWeights;
    this.micro = b.micro;
    this.global = b.global;
    this.seed = b.seed;
    this.listeners.addAll(b.listeners);
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
    this.weights = new AveragedWeights(params, b.ema);
    this.evaluator = new RewardEvaluator(reward, model.decoder(), context);
    this.sampling = new Sampling(model, sampler, denoiser, evaluator);
    this.microBatches = new MicroBatches(sampling, objective, adapter, b.prompts, micro, global, seed);
    this.optimizerStep = new OptimizerStep(microBatches, dataParallel, new GradientSum(params, objective.name()),
        optimizer, optState, params, weights, micro, global);
    if (b.evalPrompts != null) {
      listeners.add(new EvaluationGrids((p, s) -> evaluate(p, s, evalWeights), b.evalPrompts, b.evalSeeds,
          b.evalEvery, b.evalDir));
    }
    long[] sh = model.sampleShape();
    evaluator.prepare(micro, sh[0], sh[1], sh[2]);
    // what defines the reward for resuming: its graph (a lambda's class name changes every run)
    this.rewardFingerprint = checkpoints.enabled() ? evaluator.fingerprint(micro, sh[0], sh[1], sh[2]) : null;
    step = checkpoints.resume(params, optState, weights.state(), config());
    LOG.info("adapter {} on {} layers, {} trainable parameters", adapter.name(), adapted.size(),
        params.values().stream().mapToLong(INDArray::length).sum());
  }

  /** A new builder (each setter once; {@code build()} validates across fields). */
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
    TrainingConfig c = TrainingConfig.of(model.id(), sampler.config(), reward.name(), rewardFingerprint,
        adapter.config(), objective.config(), optimizer.config(), micro, global, seed);
    return weights.ema() == null ? c : c.withEma(weights.ema().config());
  }

  /** Provenance saved beside every artifact of this trainer (adapter, checkpoint). */
  public Provenance provenance() {
    return new Provenance(Version.VERSION, model.id(), config(), step, seed,
        Nd4j.getBackend().getClass().getSimpleName());
  }

  /** Saves the adapter (its raw weights) with {@link #provenance()} in its metadata. */
  public void saveAdapter(Path path, AdapterFormat format) {
    saveAdapter(path, format, AdapterWeights.RAW);
  }

  /**
   * Saves the adapter with the chosen weights and {@link #provenance()} in its metadata; a trainer
   * with an EMA also writes which weights they are ({@code draft4j.adapter_weights}: {@code raw} or
   * {@code ema}). Without an EMA, {@code RAW} writes what {@link #saveAdapter(Path, AdapterFormat)}
   * always wrote.
   *
   * @throws IllegalStateException for {@code EMA} on a trainer without an EMA
   */
  public void saveAdapter(Path path, AdapterFormat format, AdapterWeights which) {
    Map<String, String> meta = weights.labelled(provenance().toMetadata(), which);
    withAdapterWeights(which, () -> {
      adapter.save(path, format, meta);
      return null;
    });
  }

  /** The EMA of the adapter weights, or null when the trainer keeps none. */
  public Ema ema() {
    return weights.ema();
  }

  /** EMA updates applied so far (diffusers' {@code optimization_step}); 0 without an EMA. */
  public long emaUpdates() {
    return weights.updates();
  }

  /**
   * A copy of the adapter's weights, by parameter name: the raw ones the optimizer updates, or their
   * moving average.
   *
   * @throws IllegalStateException for {@code EMA} on a trainer without an EMA
   */
  public Map<String, INDArray> adapterWeights(AdapterWeights which) {
    return weights.copy(which);
  }

  /**
   * Runs {@code body} with the adapter (and so {@link #denoiser()}) holding the chosen weights: for
   * {@code EMA} the averaged weights are copied into the adapter and the raw ones copied back
   * afterwards, bit for bit, also when {@code body} throws; {@code RAW} just runs it. For sampling,
   * evaluating or exporting with the EMA weights through any API that reads the adapter; not
   * nestable, and not to be called from inside {@link #fit} except by a listener (between steps).
   *
   * @throws IllegalStateException for {@code EMA} on a trainer without an EMA, or when nested
   */
  public <T> T withAdapterWeights(AdapterWeights which, Supplier<T> body) {
    checkState(!closed, "trainer is closed");
    return weights.with(which, body);
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
   * Asks a running (or the next) {@link #fitTo} to stop at the next step boundary: it writes a
   * checkpoint of the steps done (with a checkpoint directory) and throws {@link
   * TrainingStoppedException}. Safe from any thread (a signal handler's); used up by the stop it causes.
   */
  public void requestStop() {
    stopRequested.set(true);
  }

  /** Whether a {@link #requestStop()} is pending (a fit whose target is already reached leaves it so). */
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
    weights.requireRaw();
    TrainingConfig cfg = config();
    listeners.forEach(l -> l.onStart(step, target, cfg));
    Throwable failure = null;
    try {
      while (step < target) {
        if (stopRequested.getAndSet(false)) {
          throw checkpoints.stop(step, params, optState, weights.state(), this::provenance);
        }
        StepMetrics m;
        try {
          m = trainStep(target);
        } catch (OutOfMemoryError e) {
          throw microBatches.outOfMemory(step + 1, model.sampleShape(), sampler, e);
        }
        listeners.forEach(l -> l.onStep(m));
        nonFinite.count(m, checkpoints.whereLastGood());
        if (!m.skipped()) {
          checkpoints.afterStep(step, target, params, optState, weights.state(), this::provenance);
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

  /** One optimizer step ({@link OptimizerStep}). */
  private StepMetrics trainStep(long target) {
    StepMetrics m = optimizerStep.run(step, target);
    step++;
    return m;
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
    return ParameterMaps.copy(params);
  }

  /**
   * Sets the trainable parameters (a data-parallel worker's replica receives the driver's each step).
   *
   * @throws IllegalArgumentException naming a parameter that is missing, unknown or of another shape
   */
  public void setParameters(Map<String, INDArray> values) {
    ParameterMaps.assign(params, values, "setParameters");
  }

  /** Prompt embeddings with the empty prompt as unconditional branch. */
  public Conditioning conditioning(List<String> batchPrompts) {
    return sampling.conditioning(batchPrompts);
  }

  /** Images and rewards of samples. */
  public record Evaluation(INDArray images, INDArray rewards, Map<String, INDArray> terms) {}

  /**
   * Samples the current model (adapter at its current scale, raw weights) for prompts with fixed
   * per-sample seeds and scores them, without gradient.
   */
  public Evaluation evaluate(List<String> evalPrompts, long[] seeds) {
    return sampling.evaluate(evalPrompts, seeds);
  }

  /**
   * As {@link #evaluate(List, long[])} with the chosen adapter weights ({@link #withAdapterWeights}).
   *
   * @throws IllegalStateException for {@code EMA} on a trainer without an EMA
   */
  public Evaluation evaluate(List<String> evalPrompts, long[] seeds, AdapterWeights which) {
    return withAdapterWeights(which, () -> sampling.evaluate(evalPrompts, seeds));
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
   * {@code batch}, {@code seed}, {@code checkpoints}, {@code evaluation}, {@code evaluationWeights},
   * {@code ema}, {@code maxConsecutiveNonFinite}, {@code dataParallel}, {@code listener}) and how
   * the graphs execute ({@code execution} or {@code context}).
   */
  public static final class Builder extends TrainerSettings {
    @Override
    Builder self() {
      return this;
    }
  }
}
