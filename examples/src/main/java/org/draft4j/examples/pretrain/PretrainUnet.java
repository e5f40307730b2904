package org.draft4j.examples.pretrain;

import org.draft4j.engine.ExecutionContext;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
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
import org.draft4j.examples.cli.Choices;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.support.PromptGrid;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.optim.AdamW;
import org.draft4j.optim.LearningRateSchedule;
import org.draft4j.optim.OptimizerState;
import org.draft4j.samplers.DdimScheduler;
import org.draft4j.samplers.DdimSchedulerConfig;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldArchitecture;
import org.draft4j.spi.NoiseSource;
import org.draft4j.text.BpeTrainer;
import org.draft4j.train.CheckpointMismatchException;
import org.draft4j.train.ConsoleProgress;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Pretrains the ShapesWorld text-to-image model as a diffusion model: ε-prediction MSE under SD's
 * DDPM schedule (scaled_linear 0.00085..0.012, 1000 steps), or v-prediction under the
 * zero-terminal-SNR schedule ({@code --zero-snr true}), t uniform, the loss and its gradient in one
 * forward and backward pass ({@link UNetDenoiser#regression}), 10% of captions dropped to
 * the empty prompt (classifier-free guidance), AdamW with warm-up and gradient clipping. Resumable:
 * every {@code --checkpoint-every} steps the UNet, the optimizer state and the step go atomically to
 * {@code OUT/checkpoint.safetensors}; a rerun continues from there. Each step is a pure function of
 * (seed, step), so a resumed run follows the same data. Only the UNet trains. Without
 * {@code --text-encoder} the text encoder stays at its seeded random initialization (the warm-up
 * stage: the UNet learns the world's images while the prompt carries no usable signal); with it,
 * the text tower of a trained ShapesWorld CLIP is the frozen text encoder, as SD uses OpenAI's CLIP.
 *
 * The options ({@code pretrain-unet --help}) are the fields below.
 */
@Command(name = "pretrain-unet", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "One ShapesWorld UNet pretraining stage (resumable: rerun the same command to continue).")
public final class PretrainUnet implements Callable<Integer> {
  /**
   * What a run trains under, saved in its checkpoint (a rerun with other flags is refused naming the
   * field) and in the exported model's {@code PROVENANCE.json}; absent fields are left out.
   *
   * @param unet the UNet's diffusers config
   * @param scheduler the training schedule's diffusers config when it is not SD's (zero terminal SNR)
   * @param textEncoder the CLIP folder whose text tower is the frozen text encoder, with its checksum
   * @param initUnet the weights file the UNet starts from, with its checksum
   * @param schedule the learning-rate schedule when not the default warm-up
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Config(long seed, int batch, double lr, Map<String, Object> unet,
      @JsonProperty("cfg_dropout") double cfgDropout, String loss, Map<String, Object> scheduler,
      @JsonProperty("text_encoder") String textEncoder, @JsonProperty("max_tokens") Integer maxTokens,
      @JsonProperty("init_unet") String initUnet, String schedule, @JsonProperty("ema_decay") Double emaDecay) {}

  /** An exported model's {@code PROVENANCE.json}: the run's config and how it ended. */
  @JsonPropertyOrder({"config", "steps", "final_ema_loss", "command"})
  record Exported(@JsonUnwrapped Config config, int steps, @JsonProperty("final_ema_loss") double finalEmaLoss,
      String command) {}

  /** The model with a trained ShapesWorld CLIP's tokenizer and text tower as its (frozen) text encoder. */
  static TextToImageModel withClipTextEncoder(TextToImageModel model, Path clipDir) throws IOException {
    org.draft4j.rewards.ClipModel clip = org.draft4j.rewards.ClipModel.load(clipDir);
    Map<String, INDArray> text = new LinkedHashMap<>();
    clip.parameters().asMap().forEach((k, a) -> {
      if (k.startsWith("text_model.")) {
        text.put(k, a);
      }
    });
    return TextToImageModel.builder()
        .id("shapesworld")
        .tokenizer(clip.tokenizer())
        .textEncoder(org.draft4j.models.ClipTextModel.of(clip.textConfig(),
            org.draft4j.nn.Parameters.of(text, clipDir + " text tower")))
        .unet(model.unet())
        .decoder(org.draft4j.spi.ImageDecoder.pixelSpace())
        .build();
  }

  /** The checksum draft4j stores in a safetensors file it wrote. */
  static String sha(Path file) {
    try (SafetensorsFile cf = SafetensorsFile.open(file)) {
      return cf.metadata().getOrDefault(SafetensorsFile.CHECKSUM_KEY, "none");
    }
  }

  @Option(names = "--out", description = "the run's folder: checkpoint, logs (default: ${DEFAULT-VALUE})")
  Path out = Path.of("shapesworld-pretrain");

  @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  int steps = 1200;

  @Option(names = "--batch", description = "images per step (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int batch = 16;

  @Option(names = "--lr", description = "peak AdamW learning rate (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, minExclusive = true)
  double lr = 1e-3;

  @Option(names = "--seed", description = "data, noise and init seed (default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Option(names = "--checkpoint-every", description = "steps between checkpoints (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int every = 50;

  @Option(names = "--text-encoder", description = "a trained ShapesWorld CLIP folder whose text tower is the frozen"
      + " text encoder (default: the seeded random one)")
  Path textEncoder;

  @Option(names = "--init-unet", description = "a checkpoint of an earlier stage, or a model folder's UNet weights"
      + " file, whose UNet starts this one")
  Path initUnet;

  @Option(names = "--schedule", description = "warmup (100 steps, then constant) | cosine (to 0.1 lr) (default:"
      + " ${DEFAULT-VALUE})")
  @Choices({"warmup", "cosine"})
  String schedule = "warmup";

  @Option(names = "--zero-snr", arity = "1", description = "v-prediction under the zero-terminal-SNR schedule"
      + " instead of epsilon-prediction under SD's: true | false (default: ${DEFAULT-VALUE})")
  boolean zeroSnr = false;

  @Option(names = "--ema", description = "decay D of an EMA of the weights (w <- D w + (1 - D) w per step),"
      + " checkpointed and exported instead of the last weights; 0: none (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, max = 0.99999)
  double emaDecay = 0;

  @Option(names = "--eval-every", description = "oracle fidelity of the EMA weights every N steps (16 captions x 2"
      + " seeds) to OUT/eval_log.jsonl; 0: never (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  int evalEvery = 0;

  @Option(names = "--export", description = "write the final model here in diffusers layout")
  Path export;

  @Spec CommandSpec spec;

  PretrainUnet() {}

  @Override
  public Integer call() throws IOException {
    Files.createDirectories(out);

    TextToImageModel model = ShapesWorldArchitecture.random(seed);
    LearningRateSchedule lrs = schedule.equals("cosine") ? LearningRateSchedule.cosine(100, steps, 0.1)
        : LearningRateSchedule.warmup(100);
    if (textEncoder != null) {
      model = withClipTextEncoder(model, textEncoder);
    }
    if (initUnet != null) {
      Path init = initUnet;
      try (SafetensorsFile cf = SafetensorsFile.open(init)) {
        // a checkpoint of an earlier stage (unet/<name>) or a model's UNet weights file (<name>)
        boolean checkpoint = cf.keys().stream().anyMatch(n -> n.startsWith("unet/"));
        model.unet().parameters().asMap().forEach((k, a) -> a.assign(cf.get(checkpoint ? "unet/" + k : k)));
      }
    }
    UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
    den.setBaseTrainable(true);
    Map<String, INDArray> params = den.trainableParameters();
    AdamW opt = AdamW.lr(lr).clipNorm(1.0).schedule(lrs);
    OptimizerState state = opt.init(params);
    // EMA of the weights, w̄ ← d·w̄ + (1 − d)·w after every step, starting at the initial weights
    Map<String, INDArray> ema = new LinkedHashMap<>();
    if (emaDecay > 0) {
      params.forEach((k, a) -> ema.put(k, a.dup()));
    }
    DdimSchedulerConfig schedConfig = zeroSnr ? DdimSchedulerConfig.zeroTerminalSnr() : DdimSchedulerConfig.sd15();
    DdimScheduler sched = new DdimScheduler(schedConfig);
    Path ckpt = out.resolve("checkpoint.safetensors");
    Config config = new Config(seed, batch, lr, model.unet().config().toJson(), 0.1,
        "mse, one forward and backward pass (UNetDenoiser.regression)", zeroSnr ? schedConfig.toJson() : null,
        textEncoder != null ? "text tower of " + textEncoder + " (data sha256 "
            + sha(textEncoder.resolve("model.safetensors")) + ")" : null,
        textEncoder != null ? model.tokenizer().maxLength() : null,
        initUnet != null ? initUnet + " (data sha256 " + sha(initUnet) + ")"
            : null,
        schedule.equals("warmup") ? null : schedule, emaDecay > 0 ? emaDecay : null);
    Map<String, Map<String, INDArray>> groups = new LinkedHashMap<>();
    groups.put("unet/", params);
    groups.put("ema/", ema);
    StageCheckpoint checkpoint = new StageCheckpoint(ckpt, config, groups, state);
    checkpoint.resumeIfPresent();
    Path log = out.resolve("pretrain_log.jsonl");
    TextToImageModel evalModel = model;
    ProgressBar bar = ConsoleProgress.bar(System.err, "pretrain", steps, state.step());
    double emaLoss = Double.NaN;
    while (state.step() < steps) {
      long step = state.step();
      long t0 = System.nanoTime();
      List<ShapesWorld.Scene> scenes = new ArrayList<>();
      List<String> caps = new ArrayList<>();
      float[] ts = new float[batch];
      float[] sa = new float[batch];
      float[] sb = new float[batch];
      long[] noiseSeeds = new long[batch];
      for (int j = 0; j < batch; j++) {
        long idx = step * batch + j;
        ShapesWorld.Scene s = ShapesWorld.scene(seed, idx);
        scenes.add(s);
        SplittableRandom r = new SplittableRandom(NoiseSource.mix(seed, idx, 1));
        caps.add(r.nextDouble() < 0.1 ? "" : s.caption());
        int t = r.nextInt(1000);
        ts[j] = t;
        sa[j] = (float) Math.sqrt(sched.alphaCumprod(t));
        sb[j] = (float) Math.sqrt(1 - sched.alphaCumprod(t));
        noiseSeeds[j] = NoiseSource.mix(seed, idx, 2);
      }
      INDArray x0 = ShapesWorld.images(scenes);
      INDArray eps = NoiseSource.batch(noiseSeeds, 0, 3, 32, 32);
      INDArray xt = x0.reshape(batch, -1).mulColumnVector(Nd4j.createFromArray(sa).reshape(batch, 1))
          .addi(eps.reshape(batch, -1).mulColumnVector(Nd4j.createFromArray(sb).reshape(batch, 1)))
          .reshape(batch, 3, 32, 32);
      INDArray tv = Nd4j.createFromArray(ts);
      INDArray ctx = model.encode(caps);
      // ε-prediction, or with zero terminal SNR v = √ᾱ·ε − √(1−ᾱ)·x₀; loss mean((out − target)²), one pass
      INDArray target = !zeroSnr ? eps : eps.reshape(batch, -1).mulColumnVector(Nd4j.createFromArray(sa).reshape(batch, 1))
          .subi(x0.reshape(batch, -1).mulColumnVector(Nd4j.createFromArray(sb).reshape(batch, 1))).reshape(batch, 3, 32, 32);
      INDArray weights = Nd4j.valueArrayOf(new long[] {batch}, 1.0f / target.length());
      UNetDenoiser.Regression v = den.regression(xt, tv, ctx, target, weights);
      double loss = v.squaredErrors().sumNumber().doubleValue() / target.length();
      double norm = opt.update(params, v.paramGrads(), state);
      ema.forEach((k, a) -> a.muli(emaDecay).addi(params.get(k).mul(1 - emaDecay)));
      emaLoss = Double.isNaN(emaLoss) ? loss : 0.98 * emaLoss + 0.02 * loss;
      double sec = (System.nanoTime() - t0) / 1e9;
      Files.writeString(log, Json.write(Map.of("step", state.step(), "loss", loss, "ema_loss", emaLoss,
          "grad_norm", norm, "seconds", sec)) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      bar.stepTo(state.step());
      bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f (ema %.4f)", loss, emaLoss));
      if (evalEvery > 0 && (state.step() % evalEvery == 0 || state.step() == steps)) {
        evaluate(evalModel, den, params, ema, schedConfig, state.step(), out.resolve("eval_log.jsonl"));
      }
      if (state.step() % every == 0 || state.step() == steps) {
        checkpoint.write();
      }
    }
    bar.close();
    if (export != null) {
      ema.forEach((k, a) -> params.get(k).assign(a)); // the exported model is the weights' EMA
      BpeTrainer.Vocabulary voc = ShapesWorldArchitecture.vocabulary();
      Path dir = export;
      model.save(dir, voc.vocabJson(), voc.mergesTxt(), schedConfig.toJson());
      Files.writeString(dir.resolve("PROVENANCE.json"), Json.writePretty(new Exported(config, steps, emaLoss,
          "launcher pretrain-unet " + Cli.flags(Cli.given(spec)))));
      System.err.println("exported the model to " + dir.toAbsolutePath());
    }
    return 0;
  }

  /**
   * Oracle fidelity of the weights' EMA (or the weights without one) on 16 held-out captions (world
   * seed 7) × 2 seeds, DDIM 25 under the training schedule, guidance 7.5, appended to {@code log}
   * with the step; the weights are restored afterwards, so training continues unchanged.
   */
  private static void evaluate(TextToImageModel model, UNetDenoiser den, Map<String, INDArray> params,
      Map<String, INDArray> ema, DdimSchedulerConfig schedule, long step, Path log) throws IOException {
    Map<String, INDArray> saved = new LinkedHashMap<>();
    ema.forEach((k, a) -> {
      saved.put(k, params.get(k).dup());
      params.get(k).assign(a);
    });
    try {
      List<String> caps = ShapesWorld.captions(7, 16);
      Map<String, Double> acc = PromptGrid.fidelity(PromptGrid.generate(model, den, caps, 2,
          org.draft4j.samplers.Ddim.steps(25, schedule).guidance(7.5)), caps, 2);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("step", step);
      row.put("weights", ema.isEmpty() ? "trained" : "ema");
      row.putAll(acc);
      Files.writeString(log, Json.write(row) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      System.err.println("\neval at step " + step + ": " + acc);
    } finally {
      saved.forEach((k, a) -> params.get(k).assign(a));
    }
  }
}
