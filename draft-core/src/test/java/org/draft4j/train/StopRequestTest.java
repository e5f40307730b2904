package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link DraftTrainer#requestStop()}: a checkpoint at the next step boundary, then a bit-exact resume. */
class StopRequestTest {
  @TempDir Path dir;

  /** A listener that asks its trainer to stop when step {@code at} completes. */
  private static TrainingListener stopAfter(long at, AtomicReference<DraftTrainer> trainer) {
    return new TrainingListener() {
      @Override
      public void onStep(StepMetrics m) {
        if (m.step() == at) {
          trainer.get().requestStop();
        }
      }
    };
  }

  @Test
  void aStopWritesACheckpointAtTheStepBoundaryAndTheRunResumesBitForBit() {
    Map<String, INDArray> want;
    try (DraftTrainer t = ResumeTest.builder().build()) {
      t.fitTo(5);
      want = t.denoiser().trainableParameters();
    }
    Path ck = dir.resolve("ck");
    AtomicReference<DraftTrainer> ref = new AtomicReference<>();
    // checkpoints due every 100 steps only: the one on disk is the stop's
    try (DraftTrainer t = ResumeTest.builder().listener(stopAfter(2, ref)).checkpoints(ck, 100).build()) {
      ref.set(t);
      TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> t.fitTo(5));
      assertEquals(2, e.step());
      assertEquals(ck, e.checkpointDir().orElseThrow());
      assertEquals(2, t.step());
      assertFalse(t.stopRequested(), "the request is used up by the stop");
    }
    assertEquals(2, DraftTrainer.checkpointStep(ck));
    try (DraftTrainer t = ResumeTest.builder().checkpoints(ck, 100).build()) {
      assertEquals(2, t.step());
      t.fitTo(5);
      Map<String, INDArray> got = t.denoiser().trainableParameters();
      for (String k : want.keySet()) {
        assertEquals(want.get(k), got.get(k), k + " after a stop at step 2 and a resume");
      }
    }
  }

  @Test
  void withoutACheckpointDirectoryTheStopSaysSoAndTheTrainerCanGoOn() {
    try (DraftTrainer t = ResumeTest.builder().build()) {
      t.requestStop();
      TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> t.fitTo(3));
      assertEquals(0, e.step());
      assertTrue(e.checkpointDir().isEmpty());
      assertTrue(e.getMessage().contains("no checkpoint directory"), e.getMessage());
      t.fitTo(1); // the request was used up
      assertEquals(1, t.step());
      t.requestStop();
      t.fitTo(1); // target reached: nothing to stop, the request waits for the next fit
      assertTrue(t.stopRequested());
    }
  }
}
