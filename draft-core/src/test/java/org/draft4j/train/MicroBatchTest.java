package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.junit.jupiter.api.Test;

/** A micro-batch is a function of (parameters, step, index): not of what the trainer computed before. */
class MicroBatchTest {
  static DraftTrainer trainer() {
    return DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(3, 2.0))
        .reward(ToyRewards.contrast()).adapter(ToyAdapter.spec()).objective(Objectives.draftK(2))
        .optimizer(AdamW.lr(1e-2)).prompts(List.of("a red star", "a blue square", "a green circle", "a white ring"))
        .batch(2, 8).seed(3).build();
  }

  @Test
  void aFreshReplicaComputesTheSameMicroBatchAsAWarmOne() {
    MicroBatchResult warm;
    MicroBatchResult fresh;
    try (DraftTrainer a = trainer()) {
      a.fitTo(1); // step 1 moves the parameters and warms caches and plans
      a.microBatch(1, 0);
      a.microBatch(1, 1);
      warm = a.microBatch(1, 2);
      try (DraftTrainer b = trainer()) {
        b.setParameters(a.parameters());
        fresh = b.microBatch(1, 2);
      }
    }
    assertEquals(warm.loss(), fresh.loss());
    assertArrayEquals(floats(warm.rewards()), floats(fresh.rewards()));
    assertEquals(warm.gradients().keySet(), fresh.gradients().keySet());
    warm.gradients().forEach((k, v) -> assertArrayEquals(floats(v), floats(fresh.gradients().get(k)), k));
  }

  /** The elements in C order. */
  static float[] floats(org.nd4j.linalg.api.ndarray.INDArray a) {
    return a.dup('c').data().asFloat();
  }

  @Test
  void badIndicesAndParametersAreRefused() {
    try (DraftTrainer t = trainer()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.microBatch(0, 4));
      assertEquals("microBatch(step = 0, mb = 4): mb must be in [0, 4)", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> t.setParameters(java.util.Map.of()));
    }
  }
}
