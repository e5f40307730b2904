package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.optim.Ema;
import org.draft4j.optim.EmaState;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainer's EMA of the adapter weights: updated after every applied step with the raw weights'
 * trajectory unchanged, checkpointed and resumed bit for bit (in a new JVM too), recorded in the
 * configuration (another EMA setting is refused by field), and chosen by the user for evaluation
 * and export; without an EMA nothing of the trainer's output changes.
 */
class EmaTrainingTest {
  /** A decay that lets the average lag visibly behind the raw weights within a few steps. */
  static final Ema EMA = Ema.decay(0.9);
  static final List<String> EVAL = List.of("a red star", "a blue square");
  static final long[] EVAL_SEEDS = {11, 12};
  @TempDir Path dir;

  /** {@link ResumeTest#builder()} with an EMA, checkpointing every step into {@code ckpt} (or not when null). */
  static DraftTrainer emaTrainer(Path ckpt, Ema ema) {
    DraftTrainer.Builder b = ResumeTest.builder().ema(ema);
    if (ckpt != null) {
      b.checkpoints(ckpt, 1);
    }
    return b.build();
  }

  private static void assertSameWeights(Map<String, INDArray> want, Map<String, INDArray> got, String what) {
    assertEquals(want.keySet(), got.keySet(), what);
    for (String k : want.keySet()) {
      assertEquals(want.get(k), got.get(k), k + " " + what);
    }
  }

  @Test
  void theAverageFollowsTheRawTrajectoryWhichTheEmaDoesNotChange() {
    // the raw weights after each step of a run without EMA, folded by hand with Ema's own value
    List<Map<String, INDArray>> trajectory = new ArrayList<>();
    Map<String, INDArray> initial;
    try (DraftTrainer t = ResumeTest.trainer(null)) {
      initial = t.parameters();
      for (int i = 0; i < 4; i++) {
        t.fit(1);
        trajectory.add(t.parameters());
      }
    }
    EmaState byHand = EMA.init(initial);
    for (Map<String, INDArray> p : trajectory) {
      EMA.update(byHand, p);
    }
    try (DraftTrainer t = emaTrainer(null, EMA)) {
      assertSameWeights(initial, t.adapterWeights(AdapterWeights.EMA), "before training (the shadow is a copy)");
      t.fitTo(4);
      assertEquals(4, t.emaUpdates());
      assertSameWeights(trajectory.get(3), t.adapterWeights(AdapterWeights.RAW), "raw weights with an EMA kept");
      assertSameWeights(byHand.shadow(), t.adapterWeights(AdapterWeights.EMA), "EMA after 4 steps");
      // the average lags: it is not the last raw weights
      String k = initial.keySet().iterator().next();
      assertNotEquals(trajectory.get(3).get(k), t.adapterWeights(AdapterWeights.EMA).get(k));
      assertEquals(EMA, t.ema());
    }
  }

  @Test
  void aSkippedNonFiniteStepDoesNotUpdateTheAverage() {
    try (DraftTrainer t = DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(2, 1.0))
        .reward(ResumeTest.nanFor("bad")).adapter(ToyAdapter.spec()).objective(Objectives.draftK(1))
        .optimizer(AdamW.lr(1e-2)).prompts(List.of("a red star", "bad star", "a blue box", "a green dot"))
        .batch(1, 1).ema(EMA).build()) {
      t.fit(4);
      assertEquals(1, t.skippedSteps());
      assertEquals(3, t.emaUpdates());
    }
  }

  @Test
  void resumeWithAnEmaReproducesTheUninterruptedRunBitForBit() {
    Map<String, INDArray> raw;
    Map<String, INDArray> avg;
    try (DraftTrainer t = emaTrainer(null, EMA)) {
      t.fitTo(5);
      raw = t.adapterWeights(AdapterWeights.RAW);
      avg = t.adapterWeights(AdapterWeights.EMA);
    }
    Path ck = dir.resolve("ck");
    try (DraftTrainer t = emaTrainer(ck, EMA)) {
      t.fitTo(2);
    }
    try (SafetensorsFile f = SafetensorsFile.openVerified(ck.resolve(Checkpoints.FILE))) {
      assertEquals("2", f.metadata().get("ema_step"));
      assertTrue(f.metadata().get("config").contains("\"ema\":{\"ema\":\"diffusers\",\"decay\":0.9"),
          f.metadata().get("config"));
      for (String k : raw.keySet()) {
        assertTrue(f.keys().contains("ema/" + k), "checkpoint holds ema/" + k);
      }
    }
    try (DraftTrainer t = emaTrainer(ck, EMA)) {
      assertEquals(2, t.step());
      assertEquals(2, t.emaUpdates());
      t.fitTo(5);
      assertSameWeights(raw, t.adapterWeights(AdapterWeights.RAW), "raw after resume at step 2");
      assertSameWeights(avg, t.adapterWeights(AdapterWeights.EMA), "EMA after resume at step 2");
    }
  }

  /**
   * Trains the EMA configuration to {@code target} in a new JVM, with this JVM's {@code -Ddraft4j.*}
   * engine options (the build runs some tests a second time with {@code -Ddraft4j.fusedOps=false},
   * whose bits differ from the fused path's).
   */
  private static void child(Path ck, long target, Path log) throws Exception {
    Process p = new ProcessBuilder(ResumeTest.childCommand(ck.toString(), String.valueOf(target), "ema")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "child did not finish");
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  @Test
  void anEmaRunResumedInANewJvmEndsWithTheUninterruptedAverage() throws Exception {
    Map<String, INDArray> avg;
    Map<String, INDArray> raw;
    try (DraftTrainer t = emaTrainer(null, EMA)) {
      t.fitTo(4);
      avg = t.adapterWeights(AdapterWeights.EMA);
      raw = t.adapterWeights(AdapterWeights.RAW);
    }
    Path ck = dir.resolve("jvm");
    child(ck, 2, dir.resolve("first.log"));
    child(ck, 4, dir.resolve("second.log"));
    try (SafetensorsFile f = SafetensorsFile.openVerified(ck.resolve(Checkpoints.FILE))) {
      assertEquals("4", f.metadata().get("ema_step"));
      for (String k : avg.keySet()) {
        assertEquals(avg.get(k), f.get("ema/" + k), k + " after resuming in a new JVM");
        assertEquals(raw.get(k), f.get("param/" + k), k + " (raw) after resuming in a new JVM");
      }
    }
  }

  @Test
  void resumingWithAnotherEmaSettingIsRefusedNamingTheField() {
    Path ck = dir.resolve("ema");
    try (DraftTrainer t = emaTrainer(ck, EMA)) {
      t.fit(1);
    }
    CheckpointMismatchException decay = assertThrows(CheckpointMismatchException.class,
        () -> emaTrainer(ck, Ema.decay(0.99)));
    assertEquals("ema.decay", decay.field());
    assertTrue(decay.getMessage().contains("ema.decay = 0.9 but this trainer has ema.decay = 0.99"),
        decay.getMessage());
    CheckpointMismatchException warm = assertThrows(CheckpointMismatchException.class,
        () -> emaTrainer(ck, Ema.decay(0.9).warmup(1, 0.75)));
    assertEquals("ema.use_ema_warmup", warm.field());
    CheckpointMismatchException none = assertThrows(CheckpointMismatchException.class,
        () -> ResumeTest.trainer(ck));
    assertEquals("ema", none.field());
    // and a checkpoint without an EMA is not resumed by a trainer with one
    Path plain = dir.resolve("plain");
    try (DraftTrainer t = ResumeTest.trainer(plain)) {
      t.fit(1);
    }
    CheckpointMismatchException added = assertThrows(CheckpointMismatchException.class,
        () -> emaTrainer(plain, EMA));
    assertEquals("ema", added.field());
    assertTrue(added.getMessage().contains("ema = null but this trainer has ema = {\"ema\":\"diffusers\""),
        added.getMessage());
  }

  @Test
  void withoutAnEmaCheckpointsConfigAndAdapterAreWhatTheyWere() throws Exception {
    Path ck = dir.resolve("off");
    try (DraftTrainer t = ResumeTest.trainer(ck)) {
      t.fit(2);
      assertNull(t.ema());
      assertEquals(0, t.emaUpdates());
      assertNull(t.config().ema());
      assertFalse(org.draft4j.io.Json.write(t.config()).contains("ema"));
      Path a = dir.resolve("a.safetensors");
      Path b = dir.resolve("b.safetensors");
      t.saveAdapter(a, ToyAdapter.FORMAT);
      t.saveAdapter(b, ToyAdapter.FORMAT, AdapterWeights.RAW);
      assertEquals(-1, Files.mismatch(a, b)); // the same bytes
      try (SafetensorsFile f = SafetensorsFile.openVerified(a)) {
        assertFalse(f.metadata().containsKey("draft4j.adapter_weights"));
      }
      assertEquals(t.evaluate(EVAL, EVAL_SEEDS).rewards(), t.evaluate(EVAL, EVAL_SEEDS, AdapterWeights.RAW).rewards());
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> t.adapterWeights(AdapterWeights.EMA));
      assertTrue(e.getMessage().contains("adapter weights = EMA, but this trainer keeps no EMA"), e.getMessage());
      assertThrows(IllegalStateException.class, () -> t.evaluate(EVAL, EVAL_SEEDS, AdapterWeights.EMA));
      assertThrows(IllegalStateException.class,
          () -> t.saveAdapter(dir.resolve("c.safetensors"), ToyAdapter.FORMAT, AdapterWeights.EMA));
    }
    try (SafetensorsFile f = SafetensorsFile.openVerified(ck.resolve(Checkpoints.FILE))) {
      assertFalse(f.metadata().containsKey("ema_step"));
      assertFalse(f.metadata().get("config").contains("ema"), f.metadata().get("config"));
      assertTrue(f.keys().stream().noneMatch(k -> k.startsWith("ema/")), f.keys().toString());
    }
  }

  @Test
  void evaluationAndExportUseTheChosenWeightsAndLeaveTheRawOnesBitForBit() throws Exception {
    try (DraftTrainer t = emaTrainer(null, EMA)) {
      t.fit(4);
      Map<String, INDArray> raw = t.adapterWeights(AdapterWeights.RAW);
      Map<String, INDArray> avg = t.adapterWeights(AdapterWeights.EMA);
      DraftTrainer.Evaluation r = t.evaluate(EVAL, EVAL_SEEDS, AdapterWeights.RAW);
      DraftTrainer.Evaluation e = t.evaluate(EVAL, EVAL_SEEDS, AdapterWeights.EMA);
      assertNotEquals(r.images(), e.images());
      assertSameWeights(raw, t.parameters(), "raw weights after an EMA evaluation");
      assertEquals(r.images(), t.evaluate(EVAL, EVAL_SEEDS).images()); // the plain evaluation is the raw one
      // what the adapter holds inside withAdapterWeights is the average, and the raw weights come back after
      assertSameWeights(avg, t.withAdapterWeights(AdapterWeights.EMA, t::parameters), "inside withAdapterWeights");
      assertThrows(IllegalStateException.class, () -> t.withAdapterWeights(AdapterWeights.EMA,
          () -> t.withAdapterWeights(AdapterWeights.EMA, () -> 0)));
      assertThrows(IllegalStateException.class, () -> t.withAdapterWeights(AdapterWeights.EMA, () -> {
        t.fit(1);
        return 0;
      }));
      assertThrows(ArithmeticException.class, () -> t.withAdapterWeights(AdapterWeights.EMA, () -> {
        throw new ArithmeticException("body failed");
      }));
      assertSameWeights(raw, t.parameters(), "raw weights after a failed body");
      // export: the chosen weights, and which ones they are in the metadata
      Path ea = dir.resolve("ema.safetensors");
      Path ra = dir.resolve("raw.safetensors");
      t.saveAdapter(ea, ToyAdapter.FORMAT, AdapterWeights.EMA);
      t.saveAdapter(ra, ToyAdapter.FORMAT);
      try (SafetensorsFile f = SafetensorsFile.openVerified(ea); SafetensorsFile g = SafetensorsFile.openVerified(ra)) {
        assertEquals("ema", f.metadata().get("draft4j.adapter_weights"));
        assertEquals("raw", g.metadata().get("draft4j.adapter_weights"));
        for (String k : avg.keySet()) {
          assertEquals(avg.get(k), f.get(k), k + " exported from the EMA");
          assertEquals(raw.get(k), g.get(k), k + " exported raw");
        }
        assertEquals(4, Provenance.fromMetadata(f.metadata()).steps());
        assertEquals(EMA.config().get("decay"), Provenance.fromMetadata(f.metadata()).trainingConfig().ema()
            .get("decay").doubleValue());
      }
      assertSameWeights(raw, t.parameters(), "raw weights after exporting the EMA");
    }
  }

  @Test
  void evaluationGridsOfTheAverageDoNotDisturbTraining() throws Exception {
    Map<String, INDArray> want;
    Map<String, INDArray> wantAvg;
    try (DraftTrainer t = emaTrainer(null, EMA)) {
      t.fitTo(3);
      want = t.adapterWeights(AdapterWeights.RAW);
      wantAvg = t.adapterWeights(AdapterWeights.EMA);
    }
    Path grids = dir.resolve("grids");
    try (DraftTrainer t = ResumeTest.builder().ema(EMA).evaluation(EVAL, EVAL_SEEDS, 1, grids)
        .evaluationWeights(AdapterWeights.EMA).build()) {
      t.fitTo(3);
      assertSameWeights(want, t.adapterWeights(AdapterWeights.RAW), "raw weights with EMA grids every step");
      assertSameWeights(wantAvg, t.adapterWeights(AdapterWeights.EMA), "EMA with EMA grids every step");
    }
    for (int s = 0; s <= 3; s++) {
      assertTrue(Files.exists(grids.resolve(String.format("eval_step_%06d.png", s))), "grid of step " + s);
    }
  }

  @Test
  void theBuilderRefusesAnEmaSetTwiceAndEmaGridsWithoutAnEma() {
    IllegalStateException twice = assertThrows(IllegalStateException.class,
        () -> ResumeTest.builder().ema(EMA).ema(Ema.decay(0.99)));
    assertTrue(twice.getMessage().contains("ema is already set"), twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ResumeTest.builder().ema(null));
    IllegalArgumentException noEma = assertThrows(IllegalArgumentException.class, () -> ResumeTest.builder()
        .evaluation(EVAL, EVAL_SEEDS, 1, dir).evaluationWeights(AdapterWeights.EMA).build());
    assertTrue(noEma.getMessage().contains("evaluationWeights = EMA needs an EMA"), noEma.getMessage());
    IllegalArgumentException noGrids = assertThrows(IllegalArgumentException.class,
        () -> ResumeTest.builder().ema(EMA).evaluationWeights(AdapterWeights.EMA).build());
    assertTrue(noGrids.getMessage().contains("evaluationWeights = EMA is set but evaluation is not"),
        noGrids.getMessage());
    IllegalStateException weightsTwice = assertThrows(IllegalStateException.class,
        () -> ResumeTest.builder().evaluationWeights(AdapterWeights.RAW).evaluationWeights(AdapterWeights.EMA));
    assertTrue(weightsTwice.getMessage().contains("evaluationWeights is already set"), weightsTwice.getMessage());
  }

  @Test
  void theConfigurationReadsBackWithItsEmaAndReplicasIgnoreIt() {
    try (DraftTrainer t = emaTrainer(null, EMA); DraftTrainer plain = ResumeTest.trainer(null)) {
      TrainingConfig c = t.config();
      TrainingConfig back = TrainingConfig.fromJson(org.draft4j.io.Json.write(c));
      assertEquals(c, back);
      assertEquals("diffusers", back.ema().get("ema").textValue());
      assertNull(TrainingConfig.fromJson(org.draft4j.io.Json.write(plain.config())).ema());
      // a data-parallel replica's micro-batches do not depend on the driver's EMA
      assertNull(plain.config().differenceFrom(c));
      Map<String, Object> other = new LinkedHashMap<>(EMA.config());
      assertNotEquals(c, c.withEma(Ema.decay(0.5).config()));
      assertEquals(c, c.withEma(other));
    }
  }
}
