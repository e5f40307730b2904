package org.draft4j.train;

import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;
import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objective;
import org.draft4j.optim.Ema;
import org.draft4j.optim.Optimizer;
import org.draft4j.spi.AdapterSpec;
import org.draft4j.spi.Reward;
import org.draft4j.spi.Sampler;

/**
 * What a {@link DraftTrainer.Builder} collects: the trainer's components and run settings, each
 * set once through the builder's setters (declared here, returning the builder), checked one by
 * one when set and as a whole by {@link #validate} and {@link #complete}. The builder adds how the
 * graphs execute and builds.
 */
abstract class TrainerSettings {
  TextToImageModel model;
  Sampler sampler;
  Reward reward;
  AdapterSpec adapterSpec;
  Objective objective;
  Optimizer optimizer;
  Ema ema;
  PromptSource prompts;
  Integer micro;
  Integer global;
  Long seed;
  ExecutionContext context;
  ExecutionOptions execution;
  Path checkpointDir;
  int checkpointEvery;
  Integer maxNonFinite;
  List<String> evalPrompts;
  long[] evalSeeds;
  int evalEvery;
  Path evalDir;
  AdapterWeights evalWeights;
  DataParallel dataParallel;
  final List<TrainingListener> listeners = new ArrayList<>();

  TrainerSettings() {}

  /** This builder (the setters' result). */
  abstract DraftTrainer.Builder self();

  static void once(Object current, String field) {
    checkState(current == null, "%s is already set; each builder field may be set once", field);
  }

  /**
   * The model to fine-tune (required): its UNet gets the adapter, its text encoder conditions, its
   * VAE decodes for the reward.
   */
  public DraftTrainer.Builder model(TextToImageModel m) {
    once(model, "model");
    model = m;
    return self();
  }

  /** The sampling chain rolled out and differentiated (required), e.g. {@code Ddim.steps(50, model).guidance(7.5)}. */
  public DraftTrainer.Builder sampler(Sampler s) {
    once(sampler, "sampler");
    sampler = s;
    return self();
  }

  /** The differentiable reward to maximise (required); combine several with {@code Reward.plus}. */
  public DraftTrainer.Builder reward(Reward r) {
    once(reward, "reward");
    reward = r;
    return self();
  }

  /** The trainable adapter put on the model (required), e.g. {@code Lora.rank(4).onAttention()}. */
  public DraftTrainer.Builder adapter(AdapterSpec a) {
    once(adapterSpec, "adapter");
    adapterSpec = a;
    return self();
  }

  /**
   * Which steps the gradient flows through (required): DRaFT, DRaFT-K, DRaFT-LV, DRaFT+, ReFL,
   * AlignProp ({@code Objectives}).
   */
  public DraftTrainer.Builder objective(Objective o) {
    once(objective, "objective");
    objective = o;
    return self();
  }

  /** The optimizer of the adapter parameters (required), e.g. {@code AdamW.lr(1e-4)}. */
  public DraftTrainer.Builder optimizer(Optimizer o) {
    once(optimizer, "optimizer");
    optimizer = o;
    return self();
  }

  /**
   * Keeps an exponential moving average of the adapter weights ({@link Ema}, diffusers' {@code
   * EMAModel} semantics), updated after every applied optimizer step (a skipped non-finite step
   * updates neither); e.g. {@code Ema.decay(0.9999)}. The average is saved in checkpoints and
   * recorded in the configuration (a resume with another EMA is refused). Training itself uses the
   * raw weights; evaluation and export choose ({@link AdapterWeights}). Default: none.
   */
  public DraftTrainer.Builder ema(Ema e) {
    once(ema, "ema");
    checkArgument(e != null, "ema must not be null (leave it unset for none)");
    ema = e;
    return self();
  }

  /** Where training prompts come from (required). */
  public DraftTrainer.Builder prompts(PromptSource p) {
    once(prompts, "prompts");
    prompts = p;
    return self();
  }

  /** Training prompts as a fixed list ({@link PromptSource#of}). */
  public DraftTrainer.Builder prompts(List<String> p) {
    return prompts(PromptSource.of(p));
  }

  /** Micro-batch (samples per forward/backward) and global batch (samples per optimizer step). */
  public DraftTrainer.Builder batch(int micro, int global) {
    once(this.micro, "batch");
    this.micro = micro;
    this.global = global;
    return self();
  }

  /** The seed of prompts, initial noise, the objective's randomness and the adapter's initialisation (default 0). */
  public DraftTrainer.Builder seed(long s) {
    once(seed, "seed");
    seed = s;
    return self();
  }

  /**
   * Writes a checkpoint to {@code dir} every {@code every} steps (atomically) and resumes from it
   * when the directory already holds one written with the same configuration.
   */
  public DraftTrainer.Builder checkpoints(Path dir, int every) {
    once(checkpointDir, "checkpoints");
    checkArgument(dir != null, "checkpoint directory must not be null");
    checkArgument(every >= 1, "checkpoint interval = %s must be >= 1", every);
    checkpointDir = dir;
    checkpointEvery = every;
    return self();
  }

  /**
   * Samples {@code prompts} with fixed {@code seeds} (one each) before training and every
   * {@code every} steps, writing PNG rows {@code eval_step_NNNNNN.png} to {@code dir}.
   */
  public DraftTrainer.Builder evaluation(List<String> prompts, long[] seeds, int every, Path dir) {
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
    return self();
  }

  /**
   * Which adapter weights the {@link #evaluation} grids sample with (default {@link
   * AdapterWeights#RAW}; {@link AdapterWeights#EMA} needs {@link #ema}).
   */
  public DraftTrainer.Builder evaluationWeights(AdapterWeights w) {
    once(evalWeights, "evaluationWeights");
    checkArgument(w != null, "evaluationWeights must not be null");
    evalWeights = w;
    return self();
  }

  /** Stops training after this many consecutive non-finite steps (default 5). */
  public DraftTrainer.Builder maxConsecutiveNonFinite(int n) {
    once(maxNonFinite, "maxConsecutiveNonFinite");
    checkArgument(n >= 1, "maxConsecutiveNonFinite = %s must be >= 1", n);
    maxNonFinite = n;
    return self();
  }

  /**
   * Spreads each step's micro-batches over workers ({@link DataParallel}); the optimizer, adapter and
   * checkpoints stay here. The update is the single-process one, bit for bit. The trainer does not
   * close it: its owner does.
   */
  public DraftTrainer.Builder dataParallel(DataParallel d) {
    once(dataParallel, "dataParallel");
    dataParallel = checkNotNull(d, "dataParallel");
    return self();
  }

  /** Adds listeners (may be called repeatedly). */
  public DraftTrainer.Builder listener(TrainingListener... l) {
    for (TrainingListener x : l) {
      checkArgument(x != null, "listener must not be null");
      listeners.add(x);
    }
    return self();
  }

  /**
   * Checks that every component is set, the batch (micro defaults to 1, global to micro) and that
   * the objective can run with the sampler.
   */
  void validate() {
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
    checkArgument(evalWeights == null || evalPrompts != null, "evaluationWeights = %s is set but evaluation is not;"
        + " set evaluation(...) too or leave evaluationWeights unset", evalWeights);
    checkArgument(evalWeights != AdapterWeights.EMA || ema != null, "evaluationWeights = EMA needs an EMA of the"
        + " adapter weights; set ema(...) or use evaluationWeights(RAW)");
    objective.validate(sampler.schedule());
  }

  /**
   * Sets the defaults of the seed (0), of the non-finite limit (5) and of the evaluation weights
   * (raw), and creates the checkpoint directory.
   */
  void complete() {
    if (seed == null) {
      seed = 0L;
    }
    if (maxNonFinite == null) {
      maxNonFinite = 5;
    }
    if (evalWeights == null) {
      evalWeights = AdapterWeights.RAW;
    }
    if (checkpointDir != null) {
      try {
        Files.createDirectories(checkpointDir);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot create checkpoint directory " + checkpointDir + ": " + e, e);
      }
    }
  }

  /**
   * How the trainer's graphs execute (worker threads, checkpointing, activation budget); the
   * trainer creates and closes its own context with these options (default: the process default,
   * {@link ExecutionContext#defaultOptions()}). Exclusive with {@link #context}.
   */
  public DraftTrainer.Builder execution(ExecutionOptions options) {
    once(execution, "execution");
    checkArgument(options != null, "execution options must not be null");
    execution = options;
    return self();
  }

  /**
   * Runs the trainer's graphs in an existing context (shared with other work; the trainer does not
   * close it). Exclusive with {@link #execution}.
   */
  public DraftTrainer.Builder context(ExecutionContext c) {
    once(context, "context");
    checkArgument(c != null, "execution context must not be null");
    context = c;
    return self();
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
