package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.draft4j.io.Json;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One provenance value, the same in the saved adapter and in the checkpoint. */
class ProvenanceTest {
  @TempDir Path dir;

  @Test
  void adapterAndCheckpointCarryTheTrainersProvenance() {
    try (DraftTrainer t = DraftTrainer.builder().model(TinyModels.model(1)).sampler(ToySampler.steps(2, 2.0))
        .reward(ToyRewards.contrast()).adapter(ToyAdapter.spec()).objective(Objectives.draftK(1))
        .optimizer(AdamW.lr(1e-2)).prompts(List.of("a red star", "a blue square")).batch(2, 2).seed(4)
        .checkpoints(dir.resolve("ck"), 1).build()) {
      t.fit(2);
      Path a = dir.resolve("adapter.safetensors");
      t.saveAdapter(a, ToyAdapter.FORMAT);
      Provenance p = t.provenance();
      assertEquals(2, p.steps());
      assertEquals(4, p.seed());
      assertEquals("tiny-1", p.baseModel());
      try (SafetensorsFile f = SafetensorsFile.openVerified(a)) {
        assertEquals(Json.write(p), Json.write(Provenance.fromMetadata(f.metadata())));
      }
      try (SafetensorsFile f = SafetensorsFile.openVerified(dir.resolve("ck/checkpoint.safetensors"))) {
        assertEquals(Json.write(p), Json.write(Provenance.fromMetadata(f.metadata())));
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Provenance.fromMetadata(java.util.Map.of("draft4j.version", "x")));
      assertTrue(e.getMessage().contains("draft4j.base_model"), e.getMessage());
    }
  }
}
