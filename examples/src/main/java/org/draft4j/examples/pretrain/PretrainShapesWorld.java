package org.draft4j.examples.pretrain;

import org.draft4j.engine.ExecutionContext;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.support.PromptGrid;
import org.draft4j.io.Json;
import org.draft4j.models.TextToImageModel;
import org.draft4j.rewards.ClipModel;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.shapesworld.ShapesOracle;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The whole ShapesWorld pretraining (v2), as six resumable stages under one folder (rerunning the
 * command continues where it stopped, inside a stage from its last checkpoint; a finished stage is
 * skipped):
 * <ol>
 *   <li>{@code unet-warmup}: the UNet learns the world's images with a random text encoder
 *       (ε-prediction under SD's schedule; 1200 steps × 16);</li>
 *   <li>{@code clip}: the world's CLIP, contrastive ({@link PretrainClip}; 1500 steps × 128 pairs);</li>
 *   <li>{@code unet}: the UNet continues with the CLIP's text tower as its frozen text encoder
 *       (ε-prediction, 700 steps × 16, cosine) — v1 ended here;</li>
 *   <li>{@code unet-zero-snr}: the UNet continues under the zero-terminal-SNR schedule with
 *       v-prediction and trailing timesteps (Lin et al. 2024; under v1's schedule the seed decided
 *       the background), AdamW 4e-4 with cosine decay, 9000 steps × 16, EMA 0.999 of the weights
 *       exported, the EMA's oracle fidelity logged every 1000 steps ({@link PretrainUnet});</li>
 *   <li>{@code clip-kind}: the reward CLIP, stage 2's CLIP continued with counterfactual hard
 *       negatives and training images blurred by σ ~ U(0, 1) px (1500 steps × 128 pairs). Among a
 *       caption and its four other-kind variants, stage 2's CLIP scores highest the kind the oracle
 *       sees in 0.60 of the base model's samples (0.72 of renders), this one in 0.78 (0.97); the
 *       UNet keeps stage 2's text tower;</li>
 *   <li>{@code aesthetic}: the aesthetic head on the reward CLIP's image features ({@link PretrainAesthetic}).</li>
 * </ol>
 * Then it evaluates (oracle fidelity per attribute of the model's samples at guidance 7.5 with 25
 * DDIM steps under the model's schedule, the reward CLIP's held-out retrieval, the head's held-out
 * correlation), writes {@code OUT/report.json}, and with {@code --export DIR} copies the three
 * shipped folders to {@code DIR/shapesworld}, {@code DIR/shapesworld-clip} (stage 5's CLIP),
 * {@code DIR/shapesworld-aesthetic}. Stage 4's recipe is the run the shipped v2 UNet came from
 * (started from v1's weights; its EMA after 9000 steps: background 1.00, colour 0.95, kind 0.86,
 * size 1.00 by the oracle, 64 held-out captions × 2 seeds).
 */
@Command(name = "pretrain-shapes", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "The whole ShapesWorld pretraining (v2): UNet warm-up, CLIP, UNet with the CLIP text encoder, UNet"
        + " under zero-terminal-SNR v-prediction with EMA, the reward CLIP (hard negatives, blur), aesthetic head,"
        + " evaluation (resumable: rerun to continue).")
public final class PretrainShapesWorld implements Callable<Integer> {
  @Option(names = "--out", description = "the pipeline's folder, one subfolder a stage (default: ${DEFAULT-VALUE})")
  Path out = Path.of("shapesworld-pretrain");

  @Option(names = "--seed", description = "seed of every stage (default: ${DEFAULT-VALUE})")
  long seedValue = 0;

  @Option(names = "--warmup-steps", description = "stage 1 steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000_000)
  int warmupSteps = 1200;

  @Option(names = "--clip-steps", description = "stage 2 steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000_000)
  int clipStepCount = 1500;

  @Option(names = "--unet-steps", description = "stage 3 steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000_000)
  int unetStepCount = 700;

  @Option(names = "--zero-snr-steps", description = "stage 4 steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000_000)
  int zeroSnrStepCount = 9000;

  @Option(names = "--clip-kind-steps", description = "stage 5 steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000_000)
  int clipKindStepCount = 1500;

  @Option(names = "--eval-prompts", description = "captions of the final evaluation, x 2 seeds (default:"
      + " ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000)
  int evalPrompts = 64;

  @Option(names = "--export", description = "copy the shipped folders here: shapesworld, shapesworld-clip,"
      + " shapesworld-aesthetic")
  Path export;

  @Spec CommandSpec spec;

  PretrainShapesWorld() {}

  @Override
  public Integer call() throws Exception {
    String seed = String.valueOf(seedValue);
    String warm = String.valueOf(warmupSteps);
    String clipSteps = String.valueOf(clipStepCount);
    String unetSteps = String.valueOf(unetStepCount);
    String zeroSnrSteps = String.valueOf(zeroSnrStepCount);
    String command = "launcher pretrain-shapes " + Cli.flags(Cli.given(spec));
    Files.createDirectories(out);

    Path warmDir = out.resolve("unet-warmup");
    stage("1/6 unet-warmup", () -> Cli.run(new PretrainUnet(), "--out", warmDir.toString(), "--steps", warm,
        "--batch", "16", "--lr", "1e-3", "--seed", seed));
    Path clipDir = out.resolve("clip-model");
    stage("2/6 clip", () -> Cli.run(new PretrainClip(), "--out", out.resolve("clip").toString(), "--steps",
        clipSteps, "--batch", "128", "--lr", "1e-3", "--seed", seed, "--export", clipDir.toString()));
    Path epsDir = out.resolve("unet");
    stage("3/6 unet", () -> Cli.run(new PretrainUnet(), "--out", epsDir.toString(), "--steps", unetSteps,
        "--batch", "16", "--lr", "1e-3", "--seed", seed, "--schedule", "cosine", "--text-encoder", clipDir.toString(),
        "--init-unet", warmDir.resolve("checkpoint.safetensors").toString()));
    Path modelDir = out.resolve("model");
    stage("4/6 unet-zero-snr", () -> Cli.run(new PretrainUnet(), "--out", out.resolve("unet-zero-snr").toString(),
        "--steps", zeroSnrSteps, "--batch", "16", "--lr", "4e-4", "--seed", seed, "--schedule", "cosine",
        "--text-encoder", clipDir.toString(), "--init-unet", epsDir.resolve("checkpoint.safetensors").toString(),
        "--zero-snr", "true", "--ema", "0.999", "--eval-every", "1000", "--checkpoint-every", "250", "--export",
        modelDir.toString()));
    Path kindDir = out.resolve("clip-kind-model");
    stage("5/6 clip-kind", () -> Cli.run(new PretrainClip(), "--out", out.resolve("clip-kind").toString(), "--steps",
        String.valueOf(clipKindStepCount), "--batch", "128", "--lr", "1e-3", "--seed", seed, "--init-clip",
        clipDir.toString(), "--hard-negatives", "true", "--blur-max", "1.0", "--export", kindDir.toString()));
    Path aesDir = out.resolve("aesthetic");
    ClipModel clip = ClipModel.load(kindDir);
    if (!Files.exists(aesDir.resolve("report.json"))) {
      System.err.println("== stage 6/6 aesthetic");
      long t0 = System.nanoTime();
      PretrainAesthetic.Result aes = PretrainAesthetic.train(clip, 8000, 3000, seedValue);
      PretrainAesthetic.save(aes, aesDir, command);
      System.err.printf("== stage 6/6 aesthetic done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
    }
    PretrainAesthetic.Report aesRep = PretrainAesthetic.Report.read(aesDir.resolve("report.json"));
    Path warmLog = warmDir.resolve("pretrain_log.jsonl");
    Path clipLog = out.resolve("clip/clip_log.jsonl");
    Path epsLog = epsDir.resolve("pretrain_log.jsonl");
    Path zeroSnrLog = out.resolve("unet-zero-snr/pretrain_log.jsonl");
    Path kindLog = out.resolve("clip-kind/clip_log.jsonl");
    ClipRetrieval.Result ret = ClipRetrieval.evaluate(clip, 4242, 500);
    TextToImageModel model = ShapesWorldModel.load(modelDir);
    List<String> prompts = ShapesWorld.captions(7, evalPrompts);
    DdimSampler sampler = Ddim.steps(25, model).guidance(7.5);
    List<INDArray> rows = PromptGrid.generate(model, model.newDenoiser(ExecutionContext.shared()), prompts, 2, sampler);
    Report rep = new Report(command, seedValue,
        new Stages(seconds(warmLog), seconds(clipLog), seconds(epsLog), seconds(zeroSnrLog), seconds(kindLog)),
        new Stages(last(warmLog, "ema_loss"), last(clipLog, "ema_loss"), last(epsLog, "ema_loss"),
            last(zeroSnrLog, "ema_loss"), last(kindLog, "ema_loss")),
        new Retrieval(ret.imageToText(), ret.textToImage()), aesRep.heldOutPearson(), aesRep.heldOutRmse(),
        PromptGrid.fidelity(rows, prompts, 2),
        ShapesOracle.accuracy(ShapesWorld.images(sceneList(7, evalPrompts)).addi(1).divi(2), prompts),
        evalPrompts + " captions of ShapesWorld seed 7 x 2 sampling seeds; retrieval among 500 scenes of seed 4242;"
            + " aesthetic on 1000 scenes of seed+7777");
    Files.writeString(out.resolve("report.json"), Json.writePretty(rep));
    System.out.println(Json.writePretty(rep));

    if (export != null) {
      Path dst = export;
      copyTree(modelDir, dst.resolve("shapesworld"));
      copyTree(kindDir, dst.resolve("shapesworld-clip"));
      Files.createDirectories(dst.resolve("shapesworld-aesthetic"));
      Files.copy(aesDir.resolve("aesthetic.safetensors"), dst.resolve("shapesworld-aesthetic/aesthetic.safetensors"),
          StandardCopyOption.REPLACE_EXISTING);
      Files.copy(aesDir.resolve("report.json"), dst.resolve("shapesworld-aesthetic/PROVENANCE.json"),
          StandardCopyOption.REPLACE_EXISTING);
      Files.copy(out.resolve("report.json"), dst.resolve("shapesworld/REPORT.json"),
          StandardCopyOption.REPLACE_EXISTING);
      PretrainClip.Config clipConfig;
      try (org.draft4j.io.SafetensorsFile cf = org.draft4j.io.SafetensorsFile.open(
          out.resolve("clip-kind/checkpoint.safetensors"))) {
        clipConfig = Json.mapper().readValue(cf.metadata().get("config"), PretrainClip.Config.class);
      }
      Files.writeString(dst.resolve("shapesworld-clip/PROVENANCE.json"), Json.writePretty(new ClipProvenance(
          command + " (stage 5/6)", clipConfig,
          rep.clipRetrieval())));
      for (String d : List.of("shapesworld", "shapesworld-clip", "shapesworld-aesthetic")) {
        writeChecksums(dst.resolve(d));
      }
      System.err.println("exported to " + dst.toAbsolutePath());
    }
    return 0;
  }

  /** One number per stage (seconds or final EMA loss); NaN for a stage without a log. */
  record Stages(@JsonProperty("unet_warmup") double unetWarmup, double clip, double unet,
      @JsonProperty("unet_zero_snr") double unetZeroSnr, @JsonProperty("clip_kind") double clipKind) {}

  /** CLIP retrieval accuracy among held-out scenes. */
  record Retrieval(@JsonProperty("image_to_text") double imageToText,
      @JsonProperty("text_to_image") double textToImage) {}

  /** {@code OUT/report.json} (shipped as {@code shapesworld/REPORT.json}). */
  record Report(String command, long seed, @JsonProperty("stage_seconds") Stages stageSeconds,
      @JsonProperty("final_ema_loss") Stages finalEmaLoss,
      @JsonProperty("clip_retrieval_500_heldout") Retrieval clipRetrieval,
      @JsonProperty("aesthetic_heldout_pearson") double aestheticHeldoutPearson,
      @JsonProperty("aesthetic_heldout_rmse") double aestheticHeldoutRmse,
      @JsonProperty("oracle_fidelity_g7.5_25steps") Map<String, Double> oracleFidelity,
      @JsonProperty("oracle_fidelity_of_renders") Map<String, Double> oracleFidelityOfRenders, String eval) {}

  /** The exported CLIP's {@code PROVENANCE.json}. */
  record ClipProvenance(String command, PretrainClip.Config config,
      @JsonProperty("clip_retrieval_500_heldout") Retrieval clipRetrieval) {}

  private static List<ShapesWorld.Scene> sceneList(long seed, int n) {
    List<ShapesWorld.Scene> l = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(ShapesWorld.scene(seed, i));
    }
    return l;
  }

  interface Stage {
    void run() throws Exception;
  }

  private static void stage(String name, Stage s) throws Exception {
    System.err.println("== stage " + name);
    long t0 = System.nanoTime();
    s.run();
    System.err.printf("== stage %s done in %.0f s%n", name, (System.nanoTime() - t0) / 1e9);
  }

  /** Sum of the per-step seconds of a training log (the stage's compute time across resumed runs). */
  static double seconds(Path log) throws IOException {
    if (!Files.exists(log)) {
      return Double.NaN;
    }
    try (Stream<String> lines = Files.lines(log)) {
      return lines.filter(l -> !l.isBlank()).mapToDouble(l -> ((Number) Json.parseObject(l).get("seconds"))
          .doubleValue()).sum();
    }
  }

  static double last(Path log, String key) throws IOException {
    if (!Files.exists(log)) {
      return Double.NaN;
    }
    List<String> lines = Files.readAllLines(log);
    return ((Number) Json.parseObject(lines.get(lines.size() - 1)).get(key)).doubleValue();
  }

  /** {@code CHECKSUMS.sha256} in {@code sha256sum} format over every other file of the folder. */
  static void writeChecksums(Path dir) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        String rel = dir.relativize(p).toString();
        if (rel.equals("CHECKSUMS.sha256")) {
          continue;
        }
        try {
          java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
          sb.append(java.util.HexFormat.of().formatHex(md.digest(Files.readAllBytes(p)))).append("  ./").append(rel)
              .append('\n');
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    Files.writeString(dir.resolve("CHECKSUMS.sha256"), sb.toString());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path d = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(d);
        } else {
          Files.copy(p, d, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
