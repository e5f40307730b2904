package org.draft4j.examples.pretrain;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.draft4j.optim.AdamW;
import org.draft4j.optim.LearningRateSchedule;
import org.draft4j.optim.OptimizerState;
import org.draft4j.rewards.ClipModel;
import org.draft4j.rewards.ClipPreprocess;
import org.draft4j.rewards.ClipVisionConfig;
import org.draft4j.rewards.ClipVisionModel;
import org.draft4j.shapesworld.GaussianBlur;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldArchitecture;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.draft4j.spi.NoiseSource;
import org.draft4j.text.BpeTrainer;
import org.draft4j.text.ClipTokenizer;
import org.draft4j.train.CheckpointMismatchException;
import org.draft4j.train.ConsoleProgress;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Trains ShapesWorld's CLIP: a ViT image tower (32×32, patch 4, width 64, 3 layers) and a CLIP text
 * tower (width 64, 3 layers, 24 tokens, the world's BPE vocabulary) with CLIP's symmetric
 * contrastive loss {@code L = ½[CE(s·I·Tᵀ, id) + CE(s·T·Iᵀ, id)]} over in-batch pairs, learned
 * temperature {@code s = exp(logit_scale)} (initialized to 1/0.07, capped at 100). Images get
 * Gaussian pixel noise with σ ~ U(0, 0.05) so the towers tolerate generated images. Its text tower
 * is the text encoder of the ShapesWorld diffusion model (as SD uses CLIP's) and the whole model is
 * the world's PickScore-style reward. Resumable like {@link PretrainUnet}.
 */
@Command(name = "pretrain-clip", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Train the ShapesWorld CLIP (resumable: rerun the same command to continue).")
public final class PretrainClip implements Callable<Integer> {
  /** Tokens per caption: the longest ShapesWorld caption is 22 with start and end tokens. */
  public static final int MAX_TOKENS = 24;
  private static final String SCALE = "logit_scale_train";

  /** The text tower's config for a vocabulary size. */
  public static ClipTextConfig textConfig(int vocabSize) {
    return new ClipTextConfig(vocabSize, 64, 128, 3, 4, MAX_TOKENS, "quick_gelu", 1e-5);
  }

  /** The image tower's config. */
  public static ClipVisionConfig visionConfig() {
    return new ClipVisionConfig(64, 128, 3, 4, ShapesWorld.SIZE, 4, 64, "quick_gelu", 1e-5);
  }

  /** The world's tokenizer at {@link #MAX_TOKENS}. */
  public static ClipTokenizer tokenizer() {
    return ShapesWorldArchitecture.vocabulary().tokenizer(MAX_TOKENS);
  }

  /**
   * Settings of one run. {@code init}: a CLIP folder to start from (null: random init);
   * {@code hardNegatives}: each batch of B scenes also holds B counterfactuals of them (one attribute
   * changed, {@link ShapesWorld#counterfactual}), so the 2B × 2B contrastive loss must tell a caption
   * from the same scene with another kind, size, colour or background; {@code blurMax}: each
   * training image is blurred with a Gaussian of σ ~ U(0, blurMax) px before the pixel noise (0: none),
   * so the image tower sees edges as soft as the generated ones; {@code sdedit}: renders redrawn by
   * the model join each batch ({@link Sdedit}; null: none).
   */
  record Settings(Path out, int steps, int batch, double lr, long seed, int every, Path init, boolean hardNegatives,
      double blurMax, Preferences preferences, Path preferenceModel, Sdedit sdedit) {
    Settings(Path out, int steps, int batch, double lr, long seed, int every) {
      this(out, steps, batch, lr, seed, every, null, false, 0, null, null, null);
    }

    /** Warm-up steps: 100, or a quarter of a short run. */
    int warmup() {
      return Math.min(100, steps / 4);
    }

    Config config(ClipTextConfig tc, ClipVisionConfig vc) {
      return new Config(seed, batch, lr, tc.toJson(), vc.toJson(), 0.05, 0.1,
          "cosine(" + warmup() + ", " + steps + ", 0.1)", init == null ? null : init.toAbsolutePath().toString(),
          hardNegatives, blurMax, preferences, sdedit);
    }
  }

  /** What a run trains under, saved in its checkpoint: a rerun with other flags is refused naming the field. */
  record Config(long seed, int batch, double lr, @JsonProperty("text_config") Map<String, Object> textConfig,
      @JsonProperty("vision_config") Map<String, Object> visionConfig,
      @JsonProperty("noise_sigma_max") double noiseSigmaMax, @JsonProperty("weight_decay") double weightDecay,
      String schedule, String init, @JsonProperty("hard_negatives") boolean hardNegatives,
      @JsonProperty("blur_sigma_max") @JsonInclude(JsonInclude.Include.NON_DEFAULT) double blurSigmaMax,
      Preferences preferences, @JsonInclude(JsonInclude.Include.NON_NULL) Sdedit sdedit) {}

  /**
   * The SDEdit term ({@link SdeditPool}): {@code scenes} scenes of world seed {@code worldSeed} and
   * their counterfactuals, redrawn by the shipped model from step {@code start} of a DDIM
   * {@code samplerSteps} chain at guidance {@code guidance} (10 and 5: the sampler the results report
   * trains through); each step adds {@code perStep} of those pairs, drawn by seed and step, to the
   * contrastive batch with their own captions.
   */
  record Sdedit(@JsonProperty("world_seed") long worldSeed, int scenes, int start,
      @JsonProperty("sampler_steps") int samplerSteps, double guidance, @JsonProperty("per_step") int perStep,
      String model) {}

  /**
   * The preference term: the base model's ({@code model}: its id) samples judged by the oracle
   * ({@link PreferenceSet}), made with DDIM {@code samplerSteps} at {@code guidance} from {@code count} captions of world seed {@code worldSeed} × {@code seedsPerCaption}
   * sampling seeds; each step adds {@code weight} × the Bradley–Terry loss
   * {@code mean softplus(−s·(cos(I⁺, T) − cos(I⁻, T)))} over {@code pairs} (right, wrong) pairs of one caption.
   */
  record Preferences(String model, @JsonProperty("world_seed") long worldSeed, int count,
      @JsonProperty("seeds_per_caption") int seedsPerCaption, @JsonProperty("sampler_steps") int samplerSteps,
      double guidance, int pairs, double weight, @JsonProperty("near_misses") boolean nearMisses) {}

  @Option(names = "--out", description = "the run's folder: checkpoint, log (default: ${DEFAULT-VALUE})")
  Path out = Path.of("shapesworld-clip");

  @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  int steps = 1500;

  @Option(names = "--batch", description = "scene-caption pairs per step (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int batch = 128;

  @Option(names = "--lr", description = "peak AdamW learning rate (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, minExclusive = true)
  double lr = 1e-3;

  @Option(names = "--seed", description = "data, noise and init seed (default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Option(names = "--checkpoint-every", description = "steps between checkpoints (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int every = 100;

  @Option(names = "--init-clip", description = "a ShapesWorld CLIP folder to start from (default: random init)")
  Path initClip;

  @Option(names = "--hard-negatives", arity = "1", description = "add each scene's counterfactual (one attribute"
      + " changed) to its batch: true | false (default: ${DEFAULT-VALUE})")
  boolean hardNegatives = false;

  @Option(names = "--blur-max", description = "blur each training image with a Gaussian of sigma ~ U(0, this) px"
      + " (default: ${DEFAULT-VALUE}: none)")
  @Bounds(min = 0, max = 4)
  double blurMax = 0;

  @Option(names = "--preference-captions", description = "add the preference term over the base model's samples"
      + " of this many captions of world seed 3, judged by the oracle (default: none)")
  @Bounds(min = 1, max = 100_000)
  Integer preferenceCaptions;

  @Option(names = "--preference-model", description = "the model whose samples are judged (default: the shipped"
      + " ShapesWorld model)")
  Path preferenceModel;

  @Option(names = "--preference-seeds", description = "samples per preference caption (default: ${DEFAULT-VALUE})")
  @Bounds(min = 2, max = 1000)
  int preferenceSeeds = 8;

  @Option(names = "--preference-pairs", description = "(right, wrong) pairs per step (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 4096)
  int preferencePairs = 32;

  @Option(names = "--preference-near-misses", arity = "1", description = "also pair each caption's right samples"
      + " with the samples of captions one attribute away that the oracle finds wrong for it: true | false"
      + " (default: ${DEFAULT-VALUE})")
  boolean preferenceNearMisses = false;

  @Option(names = "--preference-weight", description = "weight of the preference term (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, minExclusive = true)
  double preferenceWeight = 1;

  @Option(names = "--sdedit-scenes", description = "add renders redrawn by the shipped model (SDEdit) to the"
      + " contrastive batches: this many scenes of world seed 11 and their counterfactuals (default: none)")
  @Bounds(min = 1, max = 1_000_000)
  Integer sdeditScenes;

  @Option(names = "--sdedit-start", description = "SDEdit: the step of the 10-step DDIM chain the model redraws from"
      + " (default: ${DEFAULT-VALUE}: the last 4 steps)")
  @Bounds(min = 1, max = 9)
  int sdeditStart = 6;

  @Option(names = "--sdedit-per-step", description = "SDEdit: (scene, counterfactual) pairs added to each step's"
      + " batch (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 4096)
  int sdeditPerStep = 32;

  @Option(names = "--export", description = "write the trained CLIP here (Hugging Face CLIPModel layout)")
  Path export;

  PretrainClip() {}

  /** The settings these options give. */
  Settings settings() {
    if (preferenceCaptions == null) {
      refuseGiven("--preference-captions N", "preference-model", "preference-seeds", "preference-pairs",
          "preference-weight", "preference-near-misses");
    }
    if (sdeditScenes == null) {
      refuseGiven("--sdedit-scenes N", "sdedit-start", "sdedit-per-step");
    }
    return new Settings(out, steps, batch, lr, seed, every, initClip, hardNegatives, blurMax,
        preferenceCaptions == null ? null
        : new Preferences(preferenceModel == null ? ShapesWorldModel.ID : ShapesWorldModel.idOf(preferenceModel), 3,
            preferenceCaptions, preferenceSeeds, 10, 5, preferencePairs, preferenceWeight, preferenceNearMisses),
        preferenceModel, sdeditScenes == null ? null
        : new Sdedit(11, sdeditScenes, sdeditStart, 10, 5, sdeditPerStep, ShapesWorldModel.ID));
  }

  /** Refuses the first of {@code options} given on the command line: each needs {@code needed}. */
  private void refuseGiven(String needed, String... options) {
    for (String o : options) {
      if (spec != null && spec.commandLine().getParseResult().hasMatchedOption("--" + o)) {
        throw new IllegalArgumentException("--" + o + " needs " + needed);
      }
    }
  }

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    ClipModel clip = train(settings());
    if (export != null) {
      BpeTrainer.Vocabulary v = ShapesWorldArchitecture.vocabulary();
      clip.save(export, v.vocabJson(), v.mergesTxt());
      System.err.println("exported the CLIP to " + export.toAbsolutePath());
    }
    return 0;
  }

  /** Trains (or resumes) and returns the model; writes checkpoint, log and retrieval evaluations under {@code out}. */
  static ClipModel train(Settings s) throws IOException {
    Files.createDirectories(s.out());
    ClipTokenizer tok = tokenizer();
    ClipTextConfig tc = textConfig(tok.vocabSize());
    ClipVisionConfig vc = visionConfig();
    Parameters params = Parameters.random(s.seed());
    INDArray initScale = Nd4j.valueArrayOf(new long[] {1, 1}, (float) Math.log(1 / 0.07));
    if (s.init() != null) {
      ClipModel init = ClipModel.load(s.init());
      if (!init.textConfig().equals(tc) || !init.visionConfig().equals(vc)) {
        throw new IllegalArgumentException("--init-clip = \"" + s.init() + "\": not a ShapesWorld CLIP (its text or"
            + " vision config differs from this program's)");
      }
      Map<String, INDArray> w = new LinkedHashMap<>();
      init.parameters().asMap().forEach((k, a) -> w.put(k, a.dup()));
      initScale.assign(w.remove("logit_scale").getDouble(0));
      params = Parameters.of(w, "--init-clip " + s.init());
    }
    SameDiff sd = org.draft4j.engine.Graphs.create();
    org.draft4j.engine.ExecutionContext ctx = org.draft4j.engine.ExecutionContext.shared();
    GraphBuilder g = new GraphBuilder(sd, params, List.of(), true, ctx.fusedOps());
    SDVariable images = sd.placeHolder("images", DataType.FLOAT, -1, 3, ShapesWorld.SIZE, ShapesWorld.SIZE);
    SDVariable ids = sd.placeHolder("ids", DataType.INT, -1, MAX_TOKENS);
    SDVariable eos = sd.placeHolder("eos", DataType.FLOAT, -1, MAX_TOKENS);
    SDVariable eye = sd.placeHolder("eye", DataType.FLOAT, -1, -1);
    SDVariable px = new ClipPreprocess(vc.imageSize(), ClipPreprocess.Interpolation.BICUBIC)
        .apply(sd, images, ShapesWorld.SIZE, ShapesWorld.SIZE);
    // one tower pass over [renders (and their counterfactuals); redrawn renders; preferred; rejected]
    // images and [their captions; the preference captions]
    int nr = s.batch() * (s.hardNegatives() ? 2 : 1) + (s.sdedit() == null ? 0 : 2 * s.sdedit().perStep());
    int q = s.preferences() == null ? 0 : s.preferences().pairs();
    SDVariable imgAll = ClipModel.normalize(new ClipVisionModel(vc, params).imageEmbeds(g, px));
    SDVariable txtAll = ClipModel.normalize(ClipModel.textEmbeds(tc, vc.projectionDim(), g, ids, eos));
    SDVariable img = q == 0 ? imgAll : imgAll.get(SDIndex.interval(0, nr));
    SDVariable txt = q == 0 ? txtAll : txtAll.get(SDIndex.interval(0, nr));
    // a [1, 1] training copy of the scalar logit_scale: M2.1's backward of rank-0 variables broadcast
    // against matrices fails (assign [] vs [64]); the scalar is written back before export
    Map<String, INDArray> trainable = new LinkedHashMap<>(params.asMap());
    INDArray scale = initScale;
    trainable.put(SCALE, scale);
    SDVariable ls = sd.var(SCALE, scale);
    SDVariable logits = sd.mmul(img, txt, false, true, false).mul(sd.math.exp(ls));
    SDVariable loss = crossEntropy(sd, logits, eye).add(crossEntropy(sd, logits.permute(1, 0), eye)).mul(0.5);
    if (q > 0) {
      SDVariable t = txtAll.get(SDIndex.interval(nr, nr + q));
      SDVariable good = imgAll.get(SDIndex.interval(nr, nr + q)).mul(t).sum(true, 1);
      SDVariable bad = imgAll.get(SDIndex.interval(nr + q, nr + 2 * q)).mul(t).sum(true, 1);
      SDVariable x = bad.sub(good).mul(sd.math.exp(ls)); // softplus(x) = relu(x) + log(1 + exp(−|x|))
      SDVariable bt = sd.nn.relu(x, 0).add(sd.math.log(sd.math.exp(sd.math.abs(x).neg()).add(1))).mean();
      loss = loss.add(bt.mul(s.preferences().weight()));
    }
    loss = loss.rename("loss");
    sd.setLossVariables(loss);
    // the contrastive loss couples the batch: inputs are not batched (never split across workers)
    org.draft4j.engine.GraphRunner.Builder rb = org.draft4j.engine.GraphRunner.builder(sd).context(ctx).label("clip training")
        .input("images", false).input("ids", false).input("eos", false).input("eye", false).output("loss");
    trainable.keySet().forEach(rb::gradient);
    org.draft4j.engine.GraphRunner runner = rb.build();

    AdamW opt = AdamW.lr(s.lr()).weightDecay(0.1).clipNorm(1.0)
        .schedule(LearningRateSchedule.cosine(s.warmup(), s.steps(), 0.1));
    OptimizerState state = opt.init(trainable);
    Config config = s.config(tc, vc);
    Path ckpt = s.out().resolve("checkpoint.safetensors");
    StageCheckpoint checkpoint = new StageCheckpoint(ckpt, config, Map.of("clip/", trainable), state);
    checkpoint.resumeIfPresent();
    SdeditPool pool = null;
    if (s.sdedit() != null) {
      Sdedit e = s.sdedit();
      org.draft4j.models.TextToImageModel m = ShapesWorldModel.pretrained();
      pool = SdeditPool.loadOrMake(s.out().resolve("sdedit_pool.safetensors"), m,
          org.draft4j.samplers.Ddim.steps(e.samplerSteps(), m).guidance(e.guidance()), e.worldSeed(), e.scenes(),
          e.start());
    }
    PreferenceSet prefs = null;
    List<PreferenceSet.Pair> pairs = List.of();
    if (q > 0) {
      Preferences p = s.preferences();
      org.draft4j.models.TextToImageModel base = s.preferenceModel() == null ? ShapesWorldModel.pretrained()
          : ShapesWorldModel.load(s.preferenceModel());
      prefs = PreferenceSet.loadOrMake(s.out().resolve("preferences.safetensors"), base,
          org.draft4j.samplers.Ddim.steps(p.samplerSteps(), base).guidance(p.guidance()), p.worldSeed(), p.count(),
          p.seedsPerCaption());
      pairs = new ArrayList<>(prefs.pairs());
      int same = pairs.size();
      if (p.nearMisses()) {
        pairs.addAll(prefs.nearMisses());
      }
      long nRight = 0;
      for (boolean b : prefs.right()) {
        nRight += b ? 1 : 0;
      }
      System.err.printf(Locale.ROOT, "preference set: %d samples, %d right by the oracle, %d (right, wrong) pairs of"
          + " one caption, %d near misses%n", prefs.right().length, nRight, same, pairs.size() - same);
      if (pairs.isEmpty()) {
        throw new IllegalStateException("the preference set has no (right, wrong) pair; give more --preference-seeds");
      }
    }
    Path log = s.out().resolve("clip_log.jsonl");
    ProgressBar bar = ConsoleProgress.bar(System.err, "clip", s.steps(), state.step());
    double ema = Double.NaN;
    while (state.step() < s.steps()) {
      long t0 = System.nanoTime();
      long step = state.step();
      List<ShapesWorld.Scene> scenes = new ArrayList<>();
      for (int j = 0; j < s.batch(); j++) {
        scenes.add(ShapesWorld.scene(s.seed(), step * s.batch() + j));
      }
      if (s.hardNegatives()) {
        for (int j = 0; j < s.batch(); j++) {
          scenes.add(HardNegative.of(s.seed(), step * s.batch() + j));
        }
      }
      Map<String, INDArray> ph = feed(tok, scenes, s.seed(), step, s.blurMax());
      if (pool != null) {
        addSdedit(ph, tok, pool, s.sdedit().perStep(), s.seed(), step);
      }
      if (q > 0) {
        addPreferences(ph, tok, prefs, pairs, q, s.seed(), step);
      }
      org.draft4j.engine.GraphRunner.Result og = runner.run(ph);
      Map<String, INDArray> grads = og.gradients();
      double l = og.outputs().get("loss").getDouble(0);
      double norm = opt.update(trainable, grads, state);
      INDArray lsv = trainable.get(SCALE);
      lsv.assign(Math.min(lsv.getDouble(0), Math.log(100)));
      ema = Double.isNaN(ema) ? l : 0.98 * ema + 0.02 * l;
      Map<String, Object> rec = new LinkedHashMap<>();
      rec.put("step", state.step());
      rec.put("loss", l);
      rec.put("ema_loss", ema);
      rec.put("logit_scale", Math.exp(lsv.getDouble(0)));
      rec.put("grad_norm", norm);
      rec.put("seconds", (System.nanoTime() - t0) / 1e9);
      if (state.step() % s.every() == 0 || state.step() == s.steps()) {
        checkpoint.write();
      }
      Files.writeString(log, Json.write(rec) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      bar.stepTo(state.step());
      bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f (ema %.3f) scale %.1f", l, ema,
          Math.exp(lsv.getDouble(0))));
    }
    bar.close();
    runner.close();
    Map<String, INDArray> weights = new LinkedHashMap<>(trainable);
    weights.remove(SCALE);
    weights.put("logit_scale", Nd4j.scalar(scale.getFloat(0)));
    return new ClipModel(tc, vc, vc.projectionDim(), Parameters.of(weights, "trained ShapesWorld CLIP"), tok);
  }

  /**
   * Appends {@code p} (scene, counterfactual) pairs of the SDEdit pool, drawn with replacement by seed
   * and step, to a batch's images and captions, and widens the identity labels to them.
   */
  private static void addSdedit(Map<String, INDArray> ph, ClipTokenizer tok, SdeditPool pool, int p, long seed,
      long step) {
    SplittableRandom r = new SplittableRandom(NoiseSource.mix(seed, step, 12));
    int[] rows = new int[2 * p];
    List<String> caps = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      int scene = r.nextInt(pool.size() / 2);
      rows[2 * i] = 2 * scene;
      rows[2 * i + 1] = 2 * scene + 1;
      caps.add(pool.captions().get(2 * scene));
      caps.add(pool.captions().get(2 * scene + 1));
    }
    long[] shape = pool.images().shape();
    INDArray img = Nd4j.pullRows(pool.images().reshape(shape[0], -1), 1, rows).reshape(2L * p, shape[1], shape[2],
        shape[3]);
    ph.put("images", Nd4j.concat(0, ph.get("images"), img));
    ph.put("ids", Nd4j.concat(0, ph.get("ids"), ClipModel.tokenIds(tok, caps)));
    ph.put("eos", Nd4j.concat(0, ph.get("eos"), ClipModel.eosOneHot(tok, caps)));
    ph.put("eye", Nd4j.eye(ph.get("ids").size(0)).castTo(DataType.FLOAT));
  }

  /** Appends {@code q} preference pairs (drawn with replacement by seed and step) to a batch's images and captions. */
  private static void addPreferences(Map<String, INDArray> ph, ClipTokenizer tok, PreferenceSet prefs,
      List<PreferenceSet.Pair> pairs, int q, long seed, long step) {
    SplittableRandom r = new SplittableRandom(NoiseSource.mix(seed, step, 10));
    long[] good = new long[q];
    long[] bad = new long[q];
    List<String> caps = new ArrayList<>();
    for (int i = 0; i < q; i++) {
      PreferenceSet.Pair p = pairs.get(r.nextInt(pairs.size()));
      good[i] = p.preferred();
      bad[i] = p.rejected();
      caps.add(prefs.captions().get(p.caption()));
    }
    INDArray g = Nd4j.pullRows(prefs.images().reshape(prefs.images().size(0), -1), 1, toInt(good));
    INDArray b = Nd4j.pullRows(prefs.images().reshape(prefs.images().size(0), -1), 1, toInt(bad));
    long[] shape = prefs.images().shape();
    ph.put("images", Nd4j.concat(0, ph.get("images"), g.reshape(q, shape[1], shape[2], shape[3]),
        b.reshape(q, shape[1], shape[2], shape[3])));
    ph.put("ids", Nd4j.concat(0, ph.get("ids"), ClipModel.tokenIds(tok, caps)));
    ph.put("eos", Nd4j.concat(0, ph.get("eos"), ClipModel.eosOneHot(tok, caps)));
  }

  private static int[] toInt(long[] a) {
    int[] r = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = (int) a[i];
    }
    return r;
  }

  /** {@code mean_i −log softmax(logits_i)·eye_i}: cross-entropy with the diagonal as labels. */
  private static SDVariable crossEntropy(SameDiff sd, SDVariable logits, SDVariable eye) {
    SDVariable m = logits.max(true, 1);
    SDVariable lse = sd.math.log(sd.math.exp(logits.sub(m)).sum(true, 1)).add(m);
    return logits.sub(lse).mul(eye).sum(1).mean().neg();
  }

  /** Placeholders of one batch: noisy images in [0,1], token ids, end-token one-hots, identity labels. */
  private static Map<String, INDArray> feed(ClipTokenizer tok, List<ShapesWorld.Scene> scenes, long seed, long step,
      double blurMax) {
    int b = scenes.size();
    INDArray x = ShapesWorld.images(scenes).addi(1).divi(2);
    if (blurMax > 0) {
      for (int j = 0; j < b; j++) {
        double sigma = new SplittableRandom(NoiseSource.mix(seed, step * b + j, 9)).nextDouble() * blurMax;
        x.get(NDArrayIndex.point(j)).assign(GaussianBlur.apply(x.get(NDArrayIndex.point(j)), sigma));
      }
    }
    long[] noiseSeeds = new long[b];
    float[] sig = new float[b];
    for (int j = 0; j < b; j++) {
      noiseSeeds[j] = NoiseSource.mix(seed, step * b + j, 7);
      sig[j] = (float) (new SplittableRandom(NoiseSource.mix(seed, step * b + j, 8)).nextDouble() * 0.05);
    }
    INDArray noise = NoiseSource.batch(noiseSeeds, 0, 3, ShapesWorld.SIZE, ShapesWorld.SIZE);
    x.reshape(b, -1).addi(noise.reshape(b, -1).mulColumnVector(Nd4j.createFromArray(sig).reshape(b, 1)));
    List<String> caps = new ArrayList<>();
    scenes.forEach(sc -> caps.add(sc.caption()));
    Map<String, INDArray> ph = new LinkedHashMap<>();
    ph.put("images", x);
    ph.put("ids", ClipModel.tokenIds(tok, caps));
    ph.put("eos", ClipModel.eosOneHot(tok, caps));
    ph.put("eye", Nd4j.eye(b).castTo(DataType.FLOAT));
    return ph;
  }
}
