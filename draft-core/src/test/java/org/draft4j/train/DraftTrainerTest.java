package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

class DraftTrainerTest {
  static final List<String> PROMPTS = List.of("a red star", "a blue square", "a green circle", "a red square");
  @TempDir Path dir;

  static DraftTrainer.Builder base(TextToImageModel m) {
    return DraftTrainer.builder().model(m).sampler(ToySampler.steps(3, 2.0)).reward(ToyRewards.contrast())
        .adapter(ToyAdapter.spec()).objective(Objectives.draftK(1)).optimizer(AdamW.lr(1e-2)).prompts(PROMPTS).seed(7);
  }

  @Test
  void buildRefusesMissingAndInvalidSettingsWithMessages() {
    TextToImageModel m = TinyModels.model(1);
    IllegalStateException missing = assertThrows(IllegalStateException.class,
        () -> DraftTrainer.builder().model(m).build());
    assertTrue(missing.getMessage().contains("[sampler, reward, adapter, objective, optimizer, prompts]"),
        missing.getMessage());
    IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> base(m).batch(3, 4).build());
    assertTrue(batch.getMessage().contains("global = 4 must be a positive multiple of micro = 3"), batch.getMessage());
    IllegalStateException twice = assertThrows(IllegalStateException.class, () -> base(m).seed(1));
    assertTrue(twice.getMessage().contains("seed is already set"), twice.getMessage());
  }

  @Test
  void gradientAccumulationEqualsOneBigBatch() {
    TextToImageModel m = TinyModels.model(1);
    Map<String, INDArray> a;
    Map<String, INDArray> b;
    try (DraftTrainer t = base(m).batch(2, 4).build()) {
      t.fit(1);
      a = t.denoiser().trainableParameters();
    }
    try (DraftTrainer t = base(m).batch(4, 4).build()) {
      t.fit(1);
      b = t.denoiser().trainableParameters();
    }
    for (String k : a.keySet()) {
      double d = Transforms.abs(a.get(k).sub(b.get(k))).maxNumber().doubleValue();
      assertTrue(d < 1e-5, k + " differs by " + d);
    }
  }

  @Test
  void trainsReportsAndSavesAdapterWithProvenance() throws Exception {
    TextToImageModel m = TinyModels.model(1);
    List<StepMetrics> seen = new ArrayList<>();
    Path metrics = dir.resolve("m.jsonl");
    try (JsonlMetrics jsonl = new JsonlMetrics(metrics);
        DraftTrainer t = base(m).batch(2, 2).listener(jsonl, new TrainingListener() {
          @Override
          public void onStep(StepMetrics s) {
            seen.add(s);
          }
        }).build()) {
      t.fit(3);
      assertEquals(3, t.step());
      Path p = dir.resolve("lora.safetensors");
      t.saveAdapter(p, ToyAdapter.FORMAT);
      try (SafetensorsFile f = SafetensorsFile.open(p)) {
        assertEquals("tiny-1", f.metadata().get("draft4j.base_model"));
        assertEquals("3", f.metadata().get("draft4j.steps"));
        assertTrue(f.metadata().get("draft4j.training_config").contains("\"draftK\""));
      }
    }
    assertEquals(3, seen.size());
    assertTrue(seen.stream().allMatch(s -> Double.isFinite(s.loss()) && !s.skipped()));
    assertEquals(3, Files.readAllLines(metrics).size());
    assertTrue(Files.readAllLines(metrics).get(0).contains("\"reward/contrast\""));
    assertTrue(Files.readAllLines(metrics).get(0).contains("\"reward/contrast/std\""));
  }

  @Test
  void promptSourcesReadFilesAndShuffleDeterministically() throws Exception {
    Path txt = dir.resolve("p.txt");
    Files.writeString(txt, "a red star\n\n  a blue box \n");
    PromptSource s = PromptSource.textFile(txt);
    java.util.Set<String> epoch = new java.util.HashSet<>(s.batch(0, 2, 5));
    assertEquals(java.util.Set.of("a red star", "a blue box"), epoch);
    assertEquals(s.batch(0, 6, 5), s.batch(0, 6, 5));
    Path jl = dir.resolve("p.jsonl");
    Files.writeString(jl, "{\"prompt\": \"a cat\"}\n{\"text\": 3}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptSource.jsonl(jl, "prompt"));
    assertTrue(e.getMessage().contains("p.jsonl:2") && e.getMessage().contains("\"prompt\""), e.getMessage());
  }

  @Test
  void sameSeedGivesSameAdapter() {
    TextToImageModel m = TinyModels.model(1);
    Map<String, INDArray> a;
    try (DraftTrainer t = base(m).batch(2, 2).build()) {
      t.fit(2);
      a = t.denoiser().trainableParameters();
    }
    try (DraftTrainer t = base(m).batch(2, 2).build()) {
      t.fit(2);
      Map<String, INDArray> b = t.denoiser().trainableParameters();
      for (String k : a.keySet()) {
        assertEquals(a.get(k), b.get(k), k);
      }
    }
  }
}
