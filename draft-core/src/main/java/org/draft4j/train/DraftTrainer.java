package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.draft4j.Version;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;
import org.draft4j.io.Json;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.ObjectiveResult;
import org.draft4j.optim.Optimizer;
import org.draft4j.optim.OptimizerState;
import org.draft4j.spi.Adapter;
import org.draft4j.spi.AdapterFormat;
import org.draft4j.spi.AdapterSpec;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Gradients;
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
 */
public final class DraftTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DraftTrainer.class);
  private static final long XT_PURPOSE = 0x78540000L;

  private final TextToImageModel model;
  private final Sampler sampler;
  private final Reward reward;
  private final Objective objective;
  private final Optimizer optimizer;
  private final PromptSource prompts;
  private final int micro;
  private final int global;
  private final long seed;
  private final List<TrainingListener> listeners;
  private final List<TrainingListener> extraListeners = new ArrayList<>();
  private final UNetDenoiser denoiser;
  private final Adapter adapter;
  private final RewardEvaluator evaluator;
  private final OptimizerState optState;
  private final Map<String, INDArray> params;
  /** The step's accumulated gradient, reused from step to step (zeroed). */
  private final Map<String, INDArray> stepGrads = new LinkedHashMap<>();
  private final Path checkpointDir;
  private final int checkpointEvery;
  private final int maxNonFinite;
  private final ExecutionContext context;
  private final boolean ownsContext;
  private final DataParallel dataParallel;
  private final String rewardFingerprint;
  private long step;
  private long skippedTotal;
  private int skippedInARow;
  private boolean closed;

  private DraftTrainer(Builder b) {
    this.model = b.model;
    this.sampler = b.sampler;
    this.reward = b.reward;
    this.objective = b.objective;
    this.optimizer = b.optimizer;
    this.prompts = b.prompts;
    this.micro = b.micro;
    this.global = b.global;
    this.seed = b.seed;
    this.listeners = List.copyOf(b.listeners);
    this.checkpointDir = b.checkpointDir;
    this.checkpointEvery = b.checkpointEvery;
    this.maxNonFinite = b.maxNonFinite;
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
    this.evaluator = new RewardEvaluator(reward, model.decoder(), context);
    if (b.evalPrompts != null) {
      extraListeners.add(new EvaluationGrids(this, b.evalPrompts, b.evalSeeds, b.evalEvery, b.evalDir));
    }
    long[] sh = model.sampleShape();
    evaluator.prepare(micro, sh[0], sh[1], sh[2]);
    // what defines the reward for resuming: its graph (a lambda's class name changes every run)
    this.rewardFingerprint = checkpointDir == null ? null : evaluator.fingerprint(micro, sh[0], sh[1], sh[2]);
    if (checkpointDir != null && Checkpoints.exists(checkpointDir)) {
      step = Checkpoints.restore(checkpointDir, params, optState, config());
      LOG.info("resumed from {} at step {}", Checkpoints.file(checkpointDir), step);
    }
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
    return skippedTotal;
  }

  /** Optimizer steps completed. */
  public long step() {
    return step;
  }

  /** The full configuration (for provenance and resume checks). */
  public TrainingConfig config() {
    return new TrainingConfig(model.id(), sampler.config(), reward.name(), rewardFingerprint, adapter.config(),
        objective.config(), optimizer.config(), micro, global, seed);
  }

  /** Provenance saved beside every artifact of this trainer (adapter, checkpoint). */
  public Provenance provenance() {
    return new Provenance(Version.VERSION, model.id(), Json.parseObject(Json.write(config())), step, seed,
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
   * Trains until {@link #step()} reaches {@code target} (after a resume this continues where the
   * checkpoint left off). With a checkpoint directory, a checkpoint is written every N steps and at
   * the end.
   */
  public void fitTo(long target) {
    checkState(!closed, "trainer is closed");
    TrainingConfig cfg = config();
    List<TrainingListener> all = new ArrayList<>(listeners);
    all.addAll(extraListeners);
    all.forEach(l -> l.onStart(step, target, cfg));
    Throwable failure = null;
    try {
      while (step < target) {
        StepMetrics m;
        try {
          m = trainStep(target);
        } catch (OutOfMemoryError e) {
          throw new OutOfMemoryError("out of memory in training step " + (step + 1) + " with micro batch " + micro
              + ", sample shape " + java.util.Arrays.toString(model.sampleShape()) + ", sampler " + sampler
              + ", objective " + objective.name() + "; lower the micro batch (gradient accumulation keeps the global"
              + " batch) or K, or raise -Xmx / -Dorg.bytedeco.javacpp.maxphysicalbytes (" + e.getMessage() + ")");
        }
        all.forEach(l -> l.onStep(m));
        if (m.skipped()) {
          skippedTotal++;
          if (++skippedInARow >= maxNonFinite) {
            throw new TrainingDivergedException(skippedInARow + " consecutive steps had a non-finite loss or gradient"
                + " (last: step " + step + ", loss " + m.loss() + "); stopped. The last good checkpoint"
                + (checkpointDir == null ? " (none: no checkpoint directory)" : " in " + checkpointDir)
                + " is intact; lower the learning rate or clip gradients (AdamW.clipNorm)");
          }
        } else {
          skippedInARow = 0;
          if (checkpointDir != null && (step % checkpointEvery == 0 || step == target)) {
            Checkpoints.write(checkpointDir, step, params, optState, provenance());
          }
        }
      }
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      for (TrainingListener l : all) {
        l.onEnd(step, failure);
      }
    }
  }

  private StepMetrics trainStep(long target) {
    long t0 = System.nanoTime();
    if (stepGrads.isEmpty()) {
      params.forEach((k, v) -> stepGrads.put(k, Nd4j.zerosLike(v)));
    }
    Map<String, INDArray> grads = stepGrads;
    grads.values().forEach(g -> g.assign(0));
    int accum = global / micro;
    List<MicroBatchResult> results;
    if (dataParallel == null) {
      results = new ArrayList<>(accum);
      for (int mb = 0; mb < accum; mb++) {
        results.add(microBatch(step, mb));
      }
    } else {
      results = new ArrayList<>(dataParallel.compute(step, accum, params));
      results.sort(java.util.Comparator.comparingInt(MicroBatchResult::index));
      for (int mb = 0; mb < accum; mb++) {
        checkState(results.size() == accum && results.get(mb).index() == mb,
            "data parallel: step %s needs micro-batches 0..%s once each, got %s", step + 1, accum - 1,
            results.stream().map(MicroBatchResult::index).toList());
      }
    }
    // fold in micro-batch order: the same float operations wherever the micro-batches ran
    double loss = 0;
    List<INDArray> rewards = new ArrayList<>();
    Map<String, List<INDArray>> termValues = new LinkedHashMap<>();
    Map<String, Double> extra = new LinkedHashMap<>();
    double w = (double) micro / global;
    for (MicroBatchResult r : results) {
      r.gradients().forEach((k, v) -> {
        INDArray acc = grads.get(k);
        checkState(acc != null, "objective %s returned a gradient for %s, which is not a trainable parameter",
            objective.name(), k);
        acc.addi(v.toArray().muli(w));
      });
      loss += r.loss() * w;
      rewards.add(r.rewards().toArray());
      r.terms().forEach((k, v) -> termValues.computeIfAbsent(k, x -> new ArrayList<>()).add(v.toArray()));
      r.metrics().forEach((k, v) -> extra.merge(k, v * w, Double::sum));
    }
    boolean finite = Double.isFinite(loss);
    for (INDArray g : grads.values()) {
      finite &= allFinite(g);
    }
    double norm = Double.NaN;
    double lr = optimizer.learningRate(optState.step());
    if (finite) {
      norm = optimizer.update(params, grads, optState);
    } else {
      LOG.warn("step {}: non-finite loss or gradient; update skipped", step + 1);
    }
    step++;
    INDArray all = Nd4j.concat(0, rewards.toArray(new INDArray[0]));
    Map<String, Double> terms = new LinkedHashMap<>();
    termValues.forEach((k, v) -> {
      INDArray a = Nd4j.concat(0, v.toArray(new INDArray[0]));
      terms.put(k, a.meanNumber().doubleValue());
      terms.put(k + "/std", a.length() > 1 ? a.stdNumber().doubleValue() : 0.0);
    });
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new StepMetrics(step, target, loss, all.meanNumber().doubleValue(),
        all.length() > 1 ? all.stdNumber().doubleValue() : 0.0, terms, extra, norm, lr, seconds,
        Memory.residentBytes(), !finite);
  }

  /**
   * Micro-batch {@code mb} of step {@code step} (0-based) at the current parameters: its prompts,
   * seeds and noise are a function of (seed, step, mb) alone, so any replica of this trainer
   * computes the same result. A data-parallel worker calls this on its replica after {@link
   * #setParameters}; the trainer calls it for its own steps.
   */
  public MicroBatchResult microBatch(long step, int mb) {
    checkState(!closed, "trainer is closed");
    checkArgument(step >= 0 && mb >= 0 && mb < global / micro, "microBatch(step = %s, mb = %s): mb must be in"
        + " [0, %s)", step, mb, global / micro);
    long start = step * global + (long) mb * micro;
    List<String> batchPrompts = prompts.batch(start, micro, seed);
    long[] seeds = new long[micro];
    for (int j = 0; j < micro; j++) {
      seeds[j] = NoiseSource.mix(seed, start + j);
    }
    Conditioning cond = conditioning(batchPrompts);
    long[] sh = model.sampleShape();
    INDArray xT = NoiseSource.batch(seeds, XT_PURPOSE, sh[0], sh[1], sh[2]);
    ObjectiveContext ctx = new ObjectiveContext(denoiser, sampler, cond, evaluator, batchPrompts, xT, seeds,
        new SplittableRandom(NoiseSource.mix(seed, step, mb, 0x0B7L)));
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
    MicroBatchResult out = new MicroBatchResult(mb, r.loss(), MicroBatchResult.tensors(r.gradients()),
        MicroBatchResult.Tensor.of(r.rewards()), MicroBatchResult.tensors(r.terms()), Map.copyOf(r.metrics()));
    new Gradients(null, r.gradients()).release();
    return out;
  }

  /** The trainable parameters' current values, copied (what a data-parallel step sends to its workers). */
  public Map<String, MicroBatchResult.Tensor> parameters() {
    return MicroBatchResult.tensors(params);
  }

  /**
   * Sets the trainable parameters (a data-parallel worker's replica receives the driver's each step).
   *
   * @throws IllegalArgumentException naming a parameter that is missing, unknown or of another shape
   */
  public void setParameters(Map<String, MicroBatchResult.Tensor> values) {
    checkArgument(values.keySet().equals(params.keySet()), "setParameters: names %s differ from this trainer's %s",
        values.keySet(), params.keySet());
    params.forEach((k, a) -> {
      MicroBatchResult.Tensor t = values.get(k);
      checkArgument(java.util.Arrays.equals(t.shape(), a.shape()), "setParameters: %s has shape %s, this trainer's"
          + " is %s", k, java.util.Arrays.toString(t.shape()), java.util.Arrays.toString(a.shape()));
      a.assign(t.toArray());
    });
  }

  /** Whether every element is finite (a scan without temporary arrays for contiguous floats). */
  private static boolean allFinite(INDArray g) {
    return org.draft4j.engine.HostFloats.allFinite(g);
  }

  /** Prompt embeddings with the empty prompt as unconditional branch. */
  public Conditioning conditioning(List<String> batchPrompts) {
    INDArray cond = model.encode(batchPrompts);
    INDArray uncond = model.encode(Collections.nCopies(batchPrompts.size(), ""));
    return new Conditioning(cond, uncond);
  }

  /** Images and rewards of samples. */
  public record Evaluation(INDArray images, INDArray rewards, Map<String, INDArray> terms) {}

  /**
   * Samples the current model (adapter at its current scale) for prompts with fixed per-sample
   * seeds and scores them, without gradient.
   */
  public Evaluation evaluate(List<String> evalPrompts, long[] seeds) {
    checkArgument(evalPrompts.size() == seeds.length, "%s prompts but %s seeds", evalPrompts.size(), seeds.length);
    long[] sh = model.sampleShape();
    INDArray xT = NoiseSource.batch(seeds, XT_PURPOSE, sh[0], sh[1], sh[2]);
    Conditioning cond = conditioning(evalPrompts);
    INDArray x0 = sampler.sample(denoiser, cond, xT, seeds);
    RewardEvaluator.Result r = evaluator.evaluate(x0, evalPrompts, false);
    return new Evaluation(r.images(), r.rewards(), r.terms());
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
    Files.writeString(file, Json.writePretty(config()));
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

  /** Builder; each setter may be called once, {@link #build()} validates across fields. */
  public static final class Builder {
    private TextToImageModel model;
    private Sampler sampler;
    private Reward reward;
    private AdapterSpec adapterSpec;
    private Objective objective;
    private Optimizer optimizer;
    private PromptSource prompts;
    private Integer micro;
    private Integer global;
    private Long seed;
    private Path checkpointDir;
    private int checkpointEvery;
    private Integer maxNonFinite;
    private ExecutionContext context;
    private ExecutionOptions execution;
    private List<String> evalPrompts;
    private long[] evalSeeds;
    private int evalEvery;
    private Path evalDir;
    private DataParallel dataParallel;
    private final List<TrainingListener> listeners = new ArrayList<>();

    private static void once(Object current, String field) {
      checkState(current == null, "%s is already set; each builder field may be set once", field);
    }

    public Builder model(TextToImageModel m) {
      once(model, "model");
      model = m;
      return this;
    }

    public Builder sampler(Sampler s) {
      once(sampler, "sampler");
      sampler = s;
      return this;
    }

    public Builder reward(Reward r) {
      once(reward, "reward");
      reward = r;
      return this;
    }

    public Builder adapter(AdapterSpec a) {
      once(adapterSpec, "adapter");
      adapterSpec = a;
      return this;
    }

    public Builder objective(Objective o) {
      once(objective, "objective");
      objective = o;
      return this;
    }

    public Builder optimizer(Optimizer o) {
      once(optimizer, "optimizer");
      optimizer = o;
      return this;
    }

    public Builder prompts(PromptSource p) {
      once(prompts, "prompts");
      prompts = p;
      return this;
    }

    public Builder prompts(List<String> p) {
      return prompts(PromptSource.of(p));
    }

    /** Micro-batch (samples per forward/backward) and global batch (samples per optimizer step). */
    public Builder batch(int micro, int global) {
      once(this.micro, "batch");
      this.micro = micro;
      this.global = global;
      return this;
    }

    public Builder seed(long s) {
      once(seed, "seed");
      seed = s;
      return this;
    }

    /**
     * Writes a checkpoint to {@code dir} every {@code every} steps (atomically) and resumes from it
     * when the directory already holds one written with the same configuration.
     */
    public Builder checkpoints(Path dir, int every) {
      once(checkpointDir, "checkpoints");
      checkArgument(dir != null, "checkpoint directory must not be null");
      checkArgument(every >= 1, "checkpoint interval = %s must be >= 1", every);
      checkpointDir = dir;
      checkpointEvery = every;
      return this;
    }

    /**
     * Samples {@code prompts} with fixed {@code seeds} (one each) before training and every
     * {@code every} steps, writing PNG rows {@code eval_step_NNNNNN.png} to {@code dir}.
     */
    public Builder evaluation(List<String> prompts, long[] seeds, int every, Path dir) {
      once(evalPrompts, "evaluation");
      checkArgument(prompts != null && !prompts.isEmpty(), "evaluation prompts must not be empty");
      checkArgument(seeds != null && seeds.length == prompts.size(), "evaluation needs one seed per prompt (%s), got %s",
          prompts.size(), seeds == null ? 0 : seeds.length);
      checkArgument(every >= 1, "evaluation interval %s must be >= 1", every);
      checkArgument(dir != null, "evaluation directory must not be null");
      evalPrompts = List.copyOf(prompts);
      evalSeeds = seeds.clone();
      evalEvery = every;
      evalDir = dir;
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

    /** Stops training after this many consecutive non-finite steps (default 5). */
    public Builder maxConsecutiveNonFinite(int n) {
      once(maxNonFinite, "maxConsecutiveNonFinite");
      checkArgument(n >= 1, "maxConsecutiveNonFinite = %s must be >= 1", n);
      maxNonFinite = n;
      return this;
    }

    /**
     * Spreads each step's micro-batches over workers ({@link DataParallel}); the optimizer, adapter and
     * checkpoints stay here. The update is the single-process one, bit for bit. The trainer does not
     * close it: its owner does.
     */
    public Builder dataParallel(DataParallel d) {
      once(dataParallel, "dataParallel");
      dataParallel = checkNotNull(d, "dataParallel");
      return this;
    }

    /** Adds listeners (may be called repeatedly). */
    public Builder listener(TrainingListener... l) {
      for (TrainingListener x : l) {
        checkArgument(x != null, "listener must not be null");
        listeners.add(x);
      }
      return this;
    }

    /** Validates every field and their combination, then builds. */
    public DraftTrainer build() {
      List<String> missing = new ArrayList<>();
      if (model == null) {
        missing.add("model");
      }
      if (sampler == null) {
        missing.add("sampler");
      }
      if (reward == null) {
        missing.add("reward");
      }
      if (adapterSpec == null) {
        missing.add("adapter");
      }
      if (objective == null) {
        missing.add("objective");
      }
      if (optimizer == null) {
        missing.add("optimizer");
      }
      if (prompts == null) {
        missing.add("prompts");
      }
      checkState(missing.isEmpty(), "DraftTrainer.builder() is missing %s", missing);
      int mi = micro == null ? 1 : micro;
      int gl = global == null ? mi : global;
      checkArgument(mi >= 1, "batch: micro = %s must be >= 1", mi);
      checkArgument(gl >= mi && gl % mi == 0, "batch: global = %s must be a positive multiple of micro = %s", gl, mi);
      micro = mi;
      global = gl;
      objective.validate(sampler.schedule());
      checkArgument(execution == null || context == null,
          "execution options and an execution context were both given; set one (the context has its own options)");
      if (execution == null) {
        execution = ExecutionContext.defaultOptions();
      }
      if (seed == null) {
        seed = 0L;
      }
      if (maxNonFinite == null) {
        maxNonFinite = 5;
      }
      if (checkpointDir != null) {
        try {
          Files.createDirectories(checkpointDir);
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot create checkpoint directory " + checkpointDir + ": " + e, e);
        }
      }
      DraftTrainer t = new DraftTrainer(this);
      if (dataParallel != null) {
        try {
          dataParallel.validate(t.config(), gl / mi);
        } catch (RuntimeException e) {
          t.close();
          throw e;
        }
      }
      return t;
    }
  }
}
