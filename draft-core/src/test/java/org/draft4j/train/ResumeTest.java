package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.draft4j.io.SafetensorsException;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.spi.Reward;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Checkpoint, resume after SIGKILL, corrupted checkpoints, configuration mismatch, non-finite steps. */
class ResumeTest {
  static final List<String> PROMPTS = List.of("a red star", "a blue square", "a green circle");
  @TempDir Path dir;

  static DraftTrainer.Builder builder() {
    return DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0))
        .reward(ToyRewards.contrast()).adapter(ToyAdapter.spec()).objective(Objectives.draftK(2))
        .optimizer(AdamW.lr(1e-2)).prompts(PROMPTS).batch(2, 2).seed(3);
  }

  static DraftTrainer trainer(Path ckpt, TrainingListener... l) {
    DraftTrainer.Builder b = builder().listener(l);
    if (ckpt != null) {
      b.checkpoints(ckpt, 1);
    }
    return b.build();
  }

  /** The README's custom reward, as a lambda (its class name changes with every JVM run). */
  static Reward brightness() {
    return (graph, images) -> images.mean(1, 2, 3);
  }

  /** The test configuration with the lambda reward, checkpointing every step into {@code ckpt} (or not when null). */
  static DraftTrainer lambdaTrainer(Path ckpt) {
    DraftTrainer.Builder b = DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0))
        .reward(brightness()).adapter(ToyAdapter.spec()).objective(Objectives.draftK(2)).optimizer(AdamW.lr(1e-2))
        .prompts(PROMPTS).batch(2, 2).seed(3);
    if (ckpt != null) {
      b.checkpoints(ckpt, 1);
    }
    return b.build();
  }

  /**
   * {@code java ResumeChild args} with this JVM's {@code -Ddraft4j.*} engine flags (the build runs some
   * tests a second time with {@code -Ddraft4j.fusedOps=false}, whose bits differ from the fused path's).
   */
  static List<String> childCommand(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path")));
    System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("draft4j.")).sorted()
        .forEach(n -> cmd.add("-D" + n + "=" + System.getProperty(n)));
    cmd.add(ResumeChild.class.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static void child(Path ck, long target, Path log) throws Exception {
    Process p = new ProcessBuilder(childCommand(ck.toString(), String.valueOf(target), "lambda"))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "child did not finish");
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  @Test
  void aLambdaRewardResumesInANewJvmBitForBit() throws Exception {
    Map<String, INDArray> want;
    try (DraftTrainer t = lambdaTrainer(null)) {
      t.fitTo(4);
      want = t.denoiser().trainableParameters();
      assertEquals("custom(ResumeTest)", brightness().name());
    }
    Path ck = dir.resolve("lambda");
    child(ck, 2, dir.resolve("first.log"));
    assertEquals(2, checkpointStep(ck));
    child(ck, 4, dir.resolve("second.log")); // a second JVM: the lambda's class has another name there
    assertEquals(4, checkpointStep(ck));
    try (SafetensorsFile f = SafetensorsFile.open(ck.resolve("checkpoint.safetensors"))) {
      for (String k : want.keySet()) {
        assertEquals(want.get(k), f.get("param/" + k), k + " after resuming in a new JVM");
      }
    }
    // another function (same class, same default name) or another weight is still refused, naming the field
    IllegalStateException other = assertThrows(IllegalStateException.class, () -> DraftTrainer.builder()
        .model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0))
        .reward((graph, images) -> images.mean(1, 2, 3).mul(2.0)).adapter(ToyAdapter.spec())
        .objective(Objectives.draftK(2)).optimizer(AdamW.lr(1e-2)).prompts(PROMPTS).batch(2, 2).seed(3)
        .checkpoints(ck, 1).build());
    assertTrue(other.getMessage().contains("reward_graph"), other.getMessage());
    IllegalStateException weighted = assertThrows(IllegalStateException.class, () -> DraftTrainer.builder()
        .model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0)).reward(brightness().times(0.5))
        .adapter(ToyAdapter.spec()).objective(Objectives.draftK(2)).optimizer(AdamW.lr(1e-2)).prompts(PROMPTS)
        .batch(2, 2).seed(3).checkpoints(ck, 1).build());
    assertTrue(weighted.getMessage().contains("reward"), weighted.getMessage());
    // a named reward keeps its name
    assertEquals("brightness", Reward.named("brightness", brightness()).name());
  }

  /** Trains one step with checkpoints in {@code ck}; returns the checkpoint file. */
  private Path checkpointAfterOneStep(Path ck) throws Exception {
    try (DraftTrainer t = trainer(ck)) {
      t.fit(1);
    }
    return ck.resolve("checkpoint.safetensors");
  }

  @Test
  void aCheckpointWithARenamedChecksumKeyIsRefusedNamingTheFile() throws Exception {
    Path ck = dir.resolve("renamed");
    Path f = checkpointAfterOneStep(ck);
    String s = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
    Files.write(f, s.replace("draft4j.data_sha256", "draft4j.data_shaXXX")
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> trainer(ck));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
  }

  static long checkpointStep(Path d) {
    try (SafetensorsFile f = SafetensorsFile.open(d.resolve("checkpoint.safetensors"))) {
      return Long.parseLong(f.metadata().get("step"));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  @Test
  void resumeAfterSigkillReproducesTheUninterruptedRunBitForBit() throws Exception {
    Map<String, INDArray> want;
    try (DraftTrainer t = trainer(null)) {
      t.fitTo(6);
      want = t.denoiser().trainableParameters();
    }
    Path ck = dir.resolve("ck");
    Process p = new ProcessBuilder(childCommand(ck.toString(), "6"))
        .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (checkpointStep(ck) < 2 && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(p.isAlive(), "child ended before it could be killed: " + Files.readString(dir.resolve("child.log")));
    p.destroyForcibly(); // SIGKILL
    p.waitFor(30, TimeUnit.SECONDS);
    long killedAt = checkpointStep(ck);
    assertTrue(killedAt >= 2 && killedAt < 6, "killed at step " + killedAt);
    try (DraftTrainer t = trainer(ck)) {
      assertEquals(killedAt, t.step());
      t.fitTo(6);
      Map<String, INDArray> got = t.denoiser().trainableParameters();
      for (String k : want.keySet()) {
        assertEquals(want.get(k), got.get(k), k + " after resume from step " + killedAt);
      }
    }
  }

  @Test
  void corruptedOrPartialCheckpointsAreRefusedClearly() throws Exception {
    Path ck = dir.resolve("c");
    Path f = checkpointAfterOneStep(ck);
    byte[] b = Files.readAllBytes(f);
    byte[] flipped = b.clone();
    flipped[b.length - 5] ^= 0x40;
    Files.write(f, flipped);
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> trainer(ck));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("checksum mismatch"), e.getMessage());
    Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
    SafetensorsException e2 = assertThrows(SafetensorsException.class, () -> trainer(ck));
    assertTrue(e2.getMessage().contains(f.toString()) && (e2.getMessage().contains("truncated")
        || e2.getMessage().contains("runs past the end of the file")), e2.getMessage());
  }

  @Test
  void resumingWithAnotherConfigurationNamesTheDifference() {
    Path ck = dir.resolve("m");
    try (DraftTrainer t = trainer(ck)) {
      t.fit(1);
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> DraftTrainer.builder()
        .model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0)).reward(ToyRewards.contrast())
        .adapter(ToyAdapter.spec()).objective(Objectives.draftK(1)).optimizer(AdamW.lr(1e-2)).prompts(PROMPTS)
        .batch(2, 2).seed(3).checkpoints(ck, 1).build());
    assertTrue(e.getMessage().contains("objective.k = 2") && e.getMessage().contains("objective.k = 1"),
        e.getMessage());
  }

  /** A reward that is NaN for prompts containing "bad". */
  static Reward nanFor(String word) {
    Reward c = ToyRewards.contrast();
    return (g, images) -> {
      org.nd4j.autodiff.samediff.SDVariable mask = g.promptInput("bad_mask", DataType.FLOAT, ps -> {
        float[] v = new float[ps.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = ps.get(i).contains(word) ? Float.NaN : 0f;
        }
        return Nd4j.createFromArray(v);
      }, g.batch());
      return c.score(g, images).add(mask);
    };
  }

  @Test
  void nonFiniteStepsAreSkippedCountedAndStopTrainingWhenRepeated() {
    // all prompts bad: three skipped steps in a row stop training; parameters untouched
    DraftTrainer.Builder b = DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(2, 1.0))
        .reward(nanFor("bad")).adapter(ToyAdapter.spec()).objective(Objectives.draftK(1)).optimizer(AdamW.lr(1e-2))
        .prompts(List.of("bad one", "bad two")).batch(2, 2).maxConsecutiveNonFinite(3);
    try (DraftTrainer t = b.build()) {
      Map<String, INDArray> before = new java.util.HashMap<>();
      t.denoiser().trainableParameters().forEach((k, v) -> before.put(k, v.dup()));
      TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(10));
      assertTrue(e.getMessage().contains("3 consecutive steps"), e.getMessage());
      assertEquals(3, t.skippedSteps());
      t.denoiser().trainableParameters().forEach((k, v) -> assertEquals(before.get(k), v, k));
    }
    // one bad prompt among good ones: that step is skipped, training goes on
    try (DraftTrainer t = DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(2, 1.0))
        .reward(nanFor("bad")).adapter(ToyAdapter.spec()).objective(Objectives.draftK(1)).optimizer(AdamW.lr(1e-2))
        .prompts(List.of("a red star", "bad star", "a blue box", "a green dot")).batch(1, 1).build()) {
      t.fit(4);
      assertEquals(1, t.skippedSteps());
      assertEquals(4, t.step());
    }
  }

  @Test
  void configurationsCompareByFieldNotByKeyOrder() {
    Map<String, Object> a = new java.util.LinkedHashMap<>();
    a.put("adapter", "lora");
    a.put("rank", 4L);
    Map<String, Object> b = new java.util.LinkedHashMap<>();
    b.put("rank", 4); // an int where the other side has a long: the same number
    b.put("adapter", "lora");
    assertEquals(null, ConfigDifference.first("adapter", tree(a), tree(b))); // Map.of in a config() has no fixed order
    b.put("rank", 8L);
    ConfigDifference d = ConfigDifference.first("adapter", tree(a), tree(b));
    assertEquals("adapter.rank", d.field());
    assertEquals("4", org.draft4j.io.Json.write(d.saved()));
    assertEquals("8", org.draft4j.io.Json.write(d.now()));
    b.put("rank", 4.0); // a fraction is not an integer, as in JSON read back
    assertEquals("adapter.rank", ConfigDifference.first("adapter", tree(a), tree(b)).field());
    b.remove("rank");
    assertEquals("adapter.rank", ConfigDifference.first("adapter", tree(a), tree(b)).field());
    assertEquals(null, ConfigDifference.first("adapter", tree(a), tree(b)).now());
  }

  private static com.fasterxml.jackson.databind.JsonNode tree(Object v) {
    return org.draft4j.io.Json.mapper().valueToTree(v);
  }
}
