package org.draft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.draft4j.examples.bench.RealSizeStep;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.train.DraftTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The launcher as a user meets it: bad input ends in one line and status 2; train resumes after SIGKILL. */
class LauncherTest {
  @TempDir Path dir;

  /** Holds the uninterrupted single-process run that both kill-and-resume tests compare with. */
  @TempDir static Path shared;

  private static Path reference;

  /** The uninterrupted single-process train run, made once for the class. */
  private static synchronized Path referenceRun() throws Exception {
    if (reference == null) {
      Path out = shared.resolve("ref");
      finish(start(trainCommand(null, out), shared.resolve("ref.log")), shared.resolve("ref.log"));
      reference = out;
    }
    return reference;
  }
  private org.draft4j.engine.ExecutionOptions optionsBefore;

  @org.junit.jupiter.api.BeforeEach
  void saveOptions() {
    optionsBefore = org.draft4j.engine.ExecutionContext.defaultOptions();
  }

  /** The launcher sets the engine's default options for its process; give this test JVM its own back. */
  @org.junit.jupiter.api.AfterEach
  void restoreOptions() {
    org.draft4j.engine.ExecutionContext.setDefaultOptions(optionsBefore);
  }

  /** Runs a command line in this JVM; returns the status and what went to the error stream. */
  private static Object[] launch(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Launcher.run(args, new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Object[] {status, err.toString(StandardCharsets.UTF_8)};
  }

  private static void badInput(String expected, String... args) {
    Object[] r = launch(args);
    String err = (String) r[1];
    assertEquals(Launcher.BAD_INPUT, r[0], String.join(" ", args) + " -> " + err);
    List<String> lines = err.lines().toList();
    assertEquals(1, lines.size(), "one line for " + String.join(" ", args) + ", got:\n" + err);
    assertTrue(lines.get(0).startsWith("error: ") && lines.get(0).contains(expected),
        String.join(" ", args) + " -> " + lines.get(0) + " (expected it to contain " + expected + ")");
  }

  @Test
  void everyBadInputEndsInOneLineAndStatusTwo() throws Exception {
    badInput("--steps = \"-3\": must be an integer >= 1", "train", "--steps", "-3");
    badInput("--steps = \"0\": must be an integer >= 1", "demo", "--steps", "0");
    badInput("--steps = \"ten\": must be an integer >= 1", "train", "--steps", "ten");
    badInput("--global = \"4\": must be a positive multiple of --micro = 3", "train", "--micro", "3", "--global", "4");
    badInput("--micro = \"0\"", "train", "--micro", "0");
    badInput("--lr = \"0\": must be a number > 0", "train", "--lr", "0");
    badInput("--lr = \"NaN\"", "train", "--lr", "NaN");
    badInput("--rank = \"0\": must be an integer in [1, 4096]", "train", "--rank", "0");
    badInput("--alpha = \"-1\": must be a number > 0", "train", "--alpha", "-1");
    badInput("--guidance = \"-2\": must be a number >= 0", "train", "--guidance", "-2");
    badInput("--eta = \"1.5\": must be a number in [0, 1]", "train", "--eta", "1.5");
    badInput("--sampler-steps = \"0\": must be an integer in [1, 1000]", "train", "--sampler-steps", "0");
    badInput("--k = \"11\": must be an integer in [1, 10]", "train", "--k", "11");
    badInput("--objective = \"dpo\": must be one of", "train", "--objective", "dpo");
    badInput("--checkpoint-every = \"5\" needs --checkpoints DIR", "train", "--checkpoint-every", "5");
    badInput("--steps = \"0\": must be an integer in [1, 1000]", "sample", "--steps", "0");
    badInput("--guidance = \"-1\"", "sample", "--guidance", "-1");
    badInput("--seeds = \"0\"", "sample", "--seeds", "0");
    badInput("--blend \"linear\" needs --lora", "sample", "--blend", "linear");
    badInput("--sdedit-start needs --sdedit-scenes N", "pretrain-clip", "--sdedit-start", "5");
    badInput("--preference-seeds needs --preference-captions N", "pretrain-clip", "--preference-seeds", "4");
    badInput("--threads = \"0\": must be an integer in [1, 256]", "--threads", "0", "sample");
    badInput("unknown flag --stpes", "train", "--stpes", "3");
    badInput("unknown command \"trian\"", "trian", "--steps", "3");
    Path notSafetensors = dir.resolve("notes.safetensors");
    Files.writeString(notSafetensors, "these are my notes, not a LoRA\n");
    badInput(notSafetensors.toString(), "sample", "--lora", notSafetensors.toString(), "--count", "1", "--seeds", "1",
        "--steps", "1", "--out", dir.resolve("s.png").toString());
    badInput("no such file", "sample", "--lora", dir.resolve("missing.safetensors").toString());
    badInput("no such file", "train", "--config", dir.resolve("missing.conf").toString());
    badInput("--reward pickscore needs --reward-model DIR", "train", "--reward", "pickscore");
    badInput("--reward-model is read by --reward", "train", "--reward-model", dir.toString());
    badInput("no such file or directory", "train", "--reward", "hpsv2", "--reward-model",
        dir.resolve("nope").toString());
    badInput("--eval-every = 2 needs --eval-prompts >= 1", "train", "--eval-prompts", "0", "--eval-every", "2");
    Path evalFile = dir.resolve("eval.txt");
    badInput("--eval-file = \"" + evalFile + "\": no such file or directory", "train", "--eval-file", evalFile.toString());
    Files.writeString(evalFile, "a red star\n");
    badInput("--eval-file = \"" + evalFile + "\" needs --eval-prompts >= 1", "train", "--eval-file", evalFile.toString(),
        "--eval-prompts", "0");
    // the stack trace only with --verbose
    Object[] r = launch("train", "--steps", "-3", "--verbose");
    assertEquals(Launcher.BAD_INPUT, r[0]);
    assertTrue(((String) r[1]).lines().count() > 3 && ((String) r[1]).contains("at org.draft4j"), (String) r[1]);
  }

  private static List<String> trainCommand(Path ck, Path out) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx2g", "-cp", System.getProperty("java.class.path"), Launcher.class.getName(), "train", "--steps", "8",
        "--sampler-steps", "2", "--micro", "1", "--reward", "compressibility", "--eval-prompts", "1", "--eval-seeds",
        "1", "--quiet", "true", "--threads", "1", "--out", out.toString()));
    if (ck != null) {
      cmd.addAll(List.of("--checkpoints", ck.toString(), "--checkpoint-every", "1"));
    }
    return cmd;
  }

  private static Process start(List<String> cmd, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    return pb.start();
  }

  private static void finish(Process p, Path log) throws Exception {
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "train child did not finish");
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  private static Map<String, INDArray> adapter(Path out) {
    try (SafetensorsFile f = SafetensorsFile.open(out.resolve("pytorch_lora_weights.safetensors"))) {
      return f.readAll();
    }
  }

  /**
   * Starts {@code cmd}, SIGKILLs it once its checkpoint in {@code ck} reaches step 2, reruns it to the
   * end; returns the step the rerun resumed from.
   */
  private long killAfterTwoCheckpointsAndRerun(List<String> cmd, Path ck) throws Exception {
    Process first = start(cmd, dir.resolve("first.log"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (first.isAlive() && System.nanoTime() < deadline) {
      long seen;
      try {
        seen = DraftTrainer.checkpointStep(ck);
      } catch (RuntimeException e) {
        seen = 0; // mid-rename on some file systems; try again
      }
      if (seen >= 2) {
        break;
      }
      Thread.sleep(20);
    }
    assertTrue(first.isAlive(), "the first attempt ended before it could be killed:\n"
        + Files.readString(dir.resolve("first.log")));
    first.destroyForcibly().waitFor(60, TimeUnit.SECONDS); // SIGKILL
    long resumedFrom = DraftTrainer.checkpointStep(ck);
    assertTrue(resumedFrom >= 2 && resumedFrom < 8, "checkpoint step " + resumedFrom);
    finish(start(cmd, dir.resolve("second.log")), dir.resolve("second.log"));
    return resumedFrom;
  }

  private static void assertSameAdapter(Path refOut, Path out, long resumedFrom) {
    Map<String, INDArray> want = adapter(refOut);
    Map<String, INDArray> got = adapter(out);
    assertEquals(want.keySet(), got.keySet());
    for (String k : want.keySet()) {
      assertEquals(want.get(k), got.get(k), k + " differs after resuming from step " + resumedFrom);
    }
  }

  @Test
  void aKilledTrainRunResumesToTheSameAdapterBitForBit() throws Exception {
    Path refOut = referenceRun();

    Path ck = dir.resolve("ck");
    Path out = dir.resolve("run");
    long resumedFrom = killAfterTwoCheckpointsAndRerun(trainCommand(ck, out), ck);
    assertSameAdapter(refOut, out, resumedFrom);
    // the metrics file holds each step once, in order, across both attempts
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(8, lines.size(), String.join("\n", lines));
    for (int i = 0; i < 8; i++) {
      assertTrue(lines.get(i).startsWith("{\"step\":" + (i + 1) + ","), lines.get(i));
    }
    assertEquals(Files.readAllLines(refOut.resolve("metrics.jsonl")).stream().map(LauncherTest::loss).toList(),
        lines.stream().map(LauncherTest::loss).toList());
    // another configuration in the same checkpoint directory is refused, naming the field
    List<String> other = trainCommand(ck, out);
    other.set(other.indexOf("compressibility"), "incompressibility");
    Process p = start(other, dir.resolve("other.log"));
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    String log = Files.readString(dir.resolve("other.log"));
    assertEquals(Launcher.BAD_INPUT, p.exitValue(), log);
    assertTrue(log.contains("error: ") && log.contains("reward"), log);
  }

  /**
   * SIGTERM ({@code Process.destroy()} on Linux) during {@code train --checkpoints}: the run writes
   * its checkpoint at the next step boundary and exits with status 3; the same command resumes from
   * it to the adapter of the uninterrupted run, bit for bit.
   */
  @Test
  void aSigtermedTrainRunCheckpointsExitsWithThreeAndResumesBitForBit() throws Exception {
    Path refOut = referenceRun();
    Path ck = dir.resolve("ck");
    Path out = dir.resolve("run");
    List<String> cmd = trainCommand(ck, out);
    cmd.set(cmd.indexOf("--checkpoint-every") + 1, "100"); // no periodic checkpoint: the one on disk is the stop's
    Path log = dir.resolve("first.log");
    Process first = start(cmd, log);
    Path metrics = out.resolve("metrics.jsonl");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (first.isAlive() && System.nanoTime() < deadline
        && (!Files.exists(metrics) || Files.readAllLines(metrics).size() < 2)) {
      Thread.sleep(20);
    }
    assertTrue(first.isAlive(), "the first attempt ended before it could be stopped:\n" + Files.readString(log));
    assertEquals(0, DraftTrainer.checkpointStep(ck), "no checkpoint before the signal");
    first.destroy(); // SIGTERM
    assertTrue(first.waitFor(120, TimeUnit.SECONDS), "no exit after SIGTERM:\n" + Files.readString(log));
    String firstLog = Files.readString(log);
    assertEquals(3, first.exitValue(), firstLog);
    long stoppedAt = DraftTrainer.checkpointStep(ck);
    assertTrue(stoppedAt >= 2 && stoppedAt < 8, "checkpoint step " + stoppedAt + "\n" + firstLog);
    assertTrue(firstLog.contains("stopped by SIGTERM after step " + stoppedAt), firstLog);
    assertFalse(Files.exists(out.resolve("pytorch_lora_weights.safetensors")), "no adapter from a stopped run");
    finish(start(cmd, dir.resolve("second.log")), dir.resolve("second.log"));
    assertSameAdapter(refOut, out, stoppedAt);
    assertEquals(8, Files.readAllLines(metrics).size());
  }

  private static String loss(String jsonLine) {
    Object l = org.draft4j.io.Json.parseObject(jsonLine).get("loss");
    return String.valueOf(l);
  }

  /**
   * The Spark driver killed with SIGKILL resumes from its checkpoint: the adapter equals the
   * uninterrupted single-process run's bit for bit (executors in the driver's JVM, local[2]).
   */
  @Test
  void aKilledSparkDriverResumesToTheSameAdapterBitForBit() throws Exception {
    Path refOut = referenceRun();
    Path ck = dir.resolve("ck");
    Path out = dir.resolve("run");
    List<String> cmd = new ArrayList<>(trainCommand(ck, out));
    // the child JVM needs this JVM's package opens for Spark
    cmd.addAll(1, java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens")).toList());
    cmd.addAll(List.of("--spark-master", "local[2]", "--spark-workers", "1"));
    assertSameAdapter(refOut, out, killAfterTwoCheckpointsAndRerun(cmd, ck));
  }

  /** {@code train --spark-master local[2]} makes the same adapter file as the same run in this process. */
  @Test
  void trainOnSparkMakesTheSameAdapter() throws Exception {
    String[] common = {"train", "--steps", "2", "--micro", "2", "--global", "4", "--eval-prompts", "0", "--quiet", "true"};
    Path here = dir.resolve("here");
    Path spark = dir.resolve("spark");
    List<String> a = new ArrayList<>(List.of(common));
    a.addAll(List.of("--out", here.toString()));
    List<String> b = new ArrayList<>(List.of(common));
    b.addAll(List.of("--out", spark.toString(), "--spark-master", "local[2]", "--spark-workers", "2"));
    Object[] r = launch(a.toArray(new String[0]));
    assertEquals(0, r[0], (String) r[1]);
    r = launch(b.toArray(new String[0]));
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(java.util.Arrays.equals(Files.readAllBytes(here.resolve("pytorch_lora_weights.safetensors")),
        Files.readAllBytes(spark.resolve("pytorch_lora_weights.safetensors"))), "the adapters differ");
    badInput("--spark-workers = \"3\": must be a divisor of global / micro = 2", "train", "--spark-master", "local[2]",
        "--spark-workers", "3", "--micro", "2", "--global", "4");
    badInput("--spark-workers = \"2\" needs --spark-master", "train", "--spark-workers", "2");
  }

  /** The launcher trains a latent model with a CLIP reward from folders, as a user's downloads would be given. */
  @Test
  void trainRunsOnALatentModelAndARewardFolder() throws Exception {
    Path models = dir.resolve("models");
    for (String part : new String[] {"sd15", "pickscore"}) {
      RealSizeStep.prepare(models, part, true);
    }
    Path prompts = dir.resolve("prompts.txt");
    Files.writeString(prompts, RealSizeStep.PROMPT + "\n\na red star\n");
    Path out = dir.resolve("latent-run");
    Object[] r = launch("train", "--model", models.resolve("sd15").toString(), "--reward", "pickscore",
        "--reward-model", models.resolve("pickscore").toString(), "--prompts", prompts.toString(), "--eval-prompts",
        "0", "--steps", "2", "--micro", "1", "--sampler-steps", "2", "--quiet", "true", "--out", out.toString());
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(Files.exists(out.resolve("pytorch_lora_weights.safetensors")));
    String summary = Files.readString(out.resolve("summary.json"));
    assertTrue(summary.contains("pickscore") && summary.contains("last_step_reward_mean"), summary);
  }

  /**
   * The forms a user's files come in reach their loaders from the command line: {@code export} writes
   * an fp16-variant folder and a single-file checkpoint, the folder trains with
   * {@code --model-variant fp16}, the single file goes to the LDM loader (which refuses this tiny
   * model's 20-token vocabulary against SD's bundled CLIP tokenizer, naming the file), and options
   * that do not fit the path given are refused naming the option.
   */
  @Test
  void exportedFormsLoadAndMisfitOptionsAreRefused() throws Exception {
    Path models = dir.resolve("forms");
    RealSizeStep.prepare(models, "sd15", true);
    Path folder = models.resolve("sd15");
    Path fp16 = dir.resolve("sd15-fp16");
    Object[] e1 = launch("export", "--model", folder.toString(), "--out", fp16.toString(), "--dtype", "fp16");
    assertEquals(0, e1[0], (String) e1[1]);
    assertTrue(Files.exists(fp16.resolve("unet/diffusion_pytorch_model.fp16.safetensors")));
    Map<String, Object> prov = org.draft4j.io.Json.parseObject(Files.readString(fp16.resolve("export_provenance.json")));
    assertEquals("fp16", prov.get("dtype"));
    assertTrue(((String) prov.get("base_model")).endsWith(folder.toAbsolutePath().toString()), prov.toString());
    Path single = dir.resolve("sd15.safetensors");
    Object[] e2 = launch("export", "--model", folder.toString(), "--out", single.toString());
    assertEquals(0, e2[0], (String) e2[1]);
    assertTrue(org.draft4j.models.ldm.StableDiffusionCheckpoint.isLdmCheckpoint(single));
    Path out = dir.resolve("fp16-run");
    Object[] t = launch("train", "--model", fp16.toString(), "--model-variant", "fp16", "--reward", "compressibility",
        "--eval-prompts", "0", "--steps", "1", "--micro", "1", "--sampler-steps", "2", "--quiet", "true", "--out",
        out.toString());
    assertEquals(0, t[0], (String) t[1]);
    assertTrue(Files.exists(out.resolve("pytorch_lora_weights.safetensors")));
    badInput(single.toString(), "train", "--model", single.toString(), "--steps", "1", "--eval-prompts", "0");
    badInput("--model-variant = \"fp16\" is read for a diffusers folder only", "train", "--model", single.toString(),
        "--model-variant", "fp16");
    badInput("--model-ema = \"use\" is read for a single-file checkpoint only", "train", "--model",
        folder.toString(), "--model-ema", "use");
    badInput("--model-ema = \"often\": must be one of [auto, use, ignore]", "sample", "--model-ema", "often");
    badInput("variants present: [fp16]", "sample", "--model", fp16.toString(), "--count", "1", "--seeds", "1");
    badInput("a Hugging Face CLIPModel folder for --reward pickscore", "train", "--reward", "pickscore",
        "--reward-model", single.toString());
    badInput("--scale = 0.5 needs --lora FILE", "export", "--model", folder.toString(), "--out",
        dir.resolve("x").toString(), "--scale", "0.5");
    badInput("draft4j writes no pickles", "export", "--model", folder.toString(), "--out",
        dir.resolve("x.ckpt").toString());
    badInput("--sources is read by --only sd15-load and sd15-step only", "bench", "--only", "chain", "--sources",
        "ckpt");
  }
}
