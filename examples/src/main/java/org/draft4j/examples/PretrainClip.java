package org.draft4j.examples;

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
import me.tongfei.progressbar.ProgressBar;
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
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldArchitecture;
import org.draft4j.spi.NoiseSource;
import org.draft4j.text.BpeTrainer;
import org.draft4j.text.ClipTokenizer;
import org.draft4j.train.CheckpointMismatchException;
import org.draft4j.train.ConsoleProgress;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains ShapesWorld's CLIP: a ViT image tower (32×32, patch 4, width 64, 3 layers) and a CLIP text
 * tower (width 64, 3 layers, 24 tokens, the world's BPE vocabulary) with CLIP's symmetric
 * contrastive loss {@code L = ½[CE(s·I·Tᵀ, id) + CE(s·T·Iᵀ, id)]} over in-batch pairs, learned
 * temperature {@code s = exp(logit_scale)} (initialized to 1/0.07, capped at 100). Images get
 * Gaussian pixel noise with σ ~ U(0, 0.05) so the towers tolerate generated images. Its text tower
 * is the text encoder of the ShapesWorld diffusion model (as SD uses CLIP's) and the whole model is
 * the world's PickScore-style reward. Resumable like {@link PretrainUnet}.
 */
public final class PretrainClip {
  /** Tokens per caption: the longest ShapesWorld caption is 22 with start and end tokens. */
  public static final int MAX_TOKENS = 24;
  private static final String SCALE = "logit_scale_train";

  private PretrainClip() {}

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

  /** Settings of one run. */
  record Settings(Path out, int steps, int batch, double lr, long seed, int every) {
    /** Warm-up steps: 100, or a quarter of a short run. */
    int warmup() {
      return Math.min(100, steps / 4);
    }

    Config config(ClipTextConfig tc, ClipVisionConfig vc) {
      return new Config(seed, batch, lr, tc.toJson(), vc.toJson(), 0.05, 0.1,
          "cosine(" + warmup() + ", " + steps + ", 0.1)");
    }
  }

  /** What a run trains under, saved in its checkpoint: a rerun with other flags is refused naming the field. */
  record Config(long seed, int batch, double lr, @JsonProperty("text_config") Map<String, Object> textConfig,
      @JsonProperty("vision_config") Map<String, Object> visionConfig,
      @JsonProperty("noise_sigma_max") double noiseSigmaMax, @JsonProperty("weight_decay") double weightDecay,
      String schedule) {}

  public static void main(String[] args) throws IOException {
    Map<String, String> f = Flags.parse(args, "out", "steps", "batch", "lr", "seed", "checkpoint-every", "export");
    Settings s = new Settings(Path.of(f.getOrDefault("out", "shapesworld-clip")),
        FlagValues.integer(f, "steps", 1500, 0, Integer.MAX_VALUE),
        FlagValues.integer(f, "batch", 128, 1, Integer.MAX_VALUE),
        FlagValues.number(f, "lr", 1e-3, 0, true, Double.MAX_VALUE), FlagValues.longInteger(f, "seed", 0),
        FlagValues.integer(f, "checkpoint-every", 100, 1, Integer.MAX_VALUE));
    ClipModel clip = train(s);
    if (f.containsKey("export")) {
      Path dir = Path.of(f.get("export"));
      BpeTrainer.Vocabulary v = ShapesWorldArchitecture.vocabulary();
      clip.save(dir, v.vocabJson(), v.mergesTxt());
      System.err.println("exported the CLIP to " + dir.toAbsolutePath());
    }
  }

  /** Trains (or resumes) and returns the model; writes checkpoint, log and retrieval evaluations under {@code out}. */
  static ClipModel train(Settings s) throws IOException {
    Files.createDirectories(s.out());
    ClipTokenizer tok = tokenizer();
    ClipTextConfig tc = textConfig(tok.vocabSize());
    ClipVisionConfig vc = visionConfig();
    Parameters params = Parameters.random(s.seed());
    SameDiff sd = org.draft4j.exec.Graphs.create();
    org.draft4j.exec.ExecutionContext ctx = org.draft4j.exec.ExecutionContext.shared();
    GraphBuilder g = new GraphBuilder(sd, params, List.of(), true, ctx.fusedOps());
    SDVariable images = sd.placeHolder("images", DataType.FLOAT, -1, 3, ShapesWorld.SIZE, ShapesWorld.SIZE);
    SDVariable ids = sd.placeHolder("ids", DataType.INT, -1, MAX_TOKENS);
    SDVariable eos = sd.placeHolder("eos", DataType.FLOAT, -1, MAX_TOKENS);
    SDVariable eye = sd.placeHolder("eye", DataType.FLOAT, -1, -1);
    SDVariable px = new ClipPreprocess(vc.imageSize(), ClipPreprocess.Interpolation.BICUBIC)
        .apply(sd, images, ShapesWorld.SIZE, ShapesWorld.SIZE);
    SDVariable img = ClipModel.normalize(new ClipVisionModel(vc, params).imageEmbeds(g, px));
    SDVariable txt = ClipModel.normalize(ClipModel.textEmbeds(tc, vc.projectionDim(), g, ids, eos));
    // a [1, 1] training copy of the scalar logit_scale: M2.1's backward of rank-0 variables broadcast
    // against matrices fails (assign [] vs [64]); the scalar is written back before export
    Map<String, INDArray> trainable = new LinkedHashMap<>(params.asMap());
    INDArray scale = Nd4j.valueArrayOf(new long[] {1, 1}, (float) Math.log(1 / 0.07));
    trainable.put(SCALE, scale);
    SDVariable ls = sd.var(SCALE, scale);
    SDVariable logits = sd.mmul(img, txt, false, true, false).mul(sd.math.exp(ls));
    SDVariable loss = crossEntropy(sd, logits, eye).add(crossEntropy(sd, logits.permute(1, 0), eye)).mul(0.5)
        .rename("loss");
    sd.setLossVariables(loss);
    // the contrastive loss couples the batch: inputs are not batched (never split across workers)
    org.draft4j.exec.GraphRunner.Builder rb = org.draft4j.exec.GraphRunner.builder(sd).context(ctx).label("clip training")
        .input("images", false).input("ids", false).input("eos", false).input("eye", false).output("loss");
    trainable.keySet().forEach(rb::gradient);
    org.draft4j.exec.GraphRunner runner = rb.build();

    AdamW opt = AdamW.lr(s.lr()).weightDecay(0.1).clipNorm(1.0)
        .schedule(LearningRateSchedule.cosine(s.warmup(), s.steps(), 0.1));
    OptimizerState state = opt.init(trainable);
    Config config = s.config(tc, vc);
    Path ckpt = s.out().resolve("checkpoint.safetensors");
    if (Files.exists(ckpt)) {
      resume(ckpt, config, trainable, state);
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
      Map<String, INDArray> ph = feed(tok, scenes, s.seed(), step);
      org.draft4j.exec.GraphRunner.Result og = runner.run(ph);
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
        Map<String, INDArray> t = new LinkedHashMap<>();
        trainable.forEach((k, a) -> t.put("clip/" + k, a));
        state.slots().forEach((k, a) -> t.put("opt/" + k, a));
        Safetensors.write(ckpt, t, Map.of("step", String.valueOf(state.step()), "config", Json.write(config)));
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

  private static void resume(Path ckpt, Config config, Map<String, INDArray> trainable, OptimizerState state) {
    try (SafetensorsFile cf = SafetensorsFile.openVerified(ckpt)) {
      CheckpointMismatchException.requireSameConfiguration(ckpt, cf.metadata().get("config"), config);
      trainable.forEach((k, a) -> a.assign(cf.get("clip/" + k)));
      state.slots().forEach((k, a) -> a.assign(cf.get("opt/" + k)));
      state.setStep(Long.parseLong(cf.metadata().get("step")));
    }
    System.err.println("resumed from " + ckpt + " at step " + state.step());
  }

  /** {@code mean_i −log softmax(logits_i)·eye_i}: cross-entropy with the diagonal as labels. */
  private static SDVariable crossEntropy(SameDiff sd, SDVariable logits, SDVariable eye) {
    SDVariable m = logits.max(true, 1);
    SDVariable lse = sd.math.log(sd.math.exp(logits.sub(m)).sum(true, 1)).add(m);
    return logits.sub(lse).mul(eye).sum(1).mean().neg();
  }

  /** Placeholders of one batch: noisy images in [0,1], token ids, end-token one-hots, identity labels. */
  private static Map<String, INDArray> feed(ClipTokenizer tok, List<ShapesWorld.Scene> scenes, long seed, long step) {
    int b = scenes.size();
    INDArray x = ShapesWorld.images(scenes).addi(1).divi(2);
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
