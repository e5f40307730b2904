package org.draft4j.examples.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.draft4j.rewards.ClipModel;
import org.draft4j.shapesworld.ShapesAppeal;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldArchitecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesRewardModelsTest {
  @TempDir Path dir;

  @Test
  void appealFollowsItsDefinition() {
    // a large centred white square on black: contrast 215·√3/(255·√3), size 1, centring 1
    ShapesWorld.Scene best = new ShapesWorld.Scene(7, List.of(new ShapesWorld.Shape(1, 6, 1, 16, 16)), "x");
    assertEquals(10 * (0.5 * 215.0 / 255 + 0.3 + 0.2), ShapesAppeal.score(best), 1e-9);
    // small, off-centre (d = 12 → centring 0), yellow on orange
    ShapesWorld.Scene dull = new ShapesWorld.Scene(5, List.of(new ShapesWorld.Shape(0, 3, 0, 16, 28)), "x");
    double c = Math.sqrt(10 * 10 + 75 * 75 + 10 * 10) / (255 * Math.sqrt(3));
    assertEquals(10 * (0.5 * c + 0.3 * 0.35), ShapesAppeal.score(dull), 1e-9);
    for (int i = 0; i < 500; i++) {
      double s = ShapesAppeal.score(ShapesWorld.scene(3, i));
      assertTrue(s >= 0 && s <= 10, "score " + s);
    }
  }

  @Test
  void retrievalMatchesScenesByCaptionedAttributesOnly() {
    ShapesWorld.Scene a = new ShapesWorld.Scene(1, List.of(new ShapesWorld.Shape(2, 3, 1, 10, 12)), "a");
    ShapesWorld.Scene movedSynonym = new ShapesWorld.Scene(1, List.of(new ShapesWorld.Shape(2, 3, 1, 20, 20)), "b");
    ShapesWorld.Scene otherColour = new ShapesWorld.Scene(1, List.of(new ShapesWorld.Shape(2, 4, 1, 10, 12)), "c");
    assertTrue(ClipRetrieval.same(a, movedSynonym));
    assertFalse(ClipRetrieval.same(a, otherColour));
  }

  @Test
  void contrastiveTrainingLowersTheLossAndExportsALoadableClip() throws Exception {
    PretrainClip.Settings s = new PretrainClip.Settings(dir.resolve("clip"), 12, 8, 3e-3, 5, 6);
    ClipModel clip = PretrainClip.train(s);
    List<String> log = java.nio.file.Files.readAllLines(dir.resolve("clip/clip_log.jsonl"));
    assertEquals(12, log.size());
    double first = ((Number) org.draft4j.io.Json.parseObject(log.get(0)).get("loss")).doubleValue();
    double last = ((Number) org.draft4j.io.Json.parseObject(log.get(11)).get("loss")).doubleValue();
    assertTrue(last < first, "loss " + first + " -> " + last);
    org.draft4j.text.BpeTrainer.Vocabulary v = ShapesWorldArchitecture.vocabulary();
    clip.save(dir.resolve("export"), v.vocabJson(), v.mergesTxt());
    ClipModel back = ClipModel.load(dir.resolve("export"));
    List<String> caps = ShapesWorld.captions(9, 3);
    assertEquals(clip.textFeatures(caps), back.textFeatures(caps));
    assertEquals(clip.logitScale(), back.logitScale(), 1e-6);
    // resuming a finished run trains nothing more and returns the same weights
    ClipModel again = PretrainClip.train(s);
    assertEquals(clip.textFeatures(caps), again.textFeatures(caps));
  }

  @Test
  void sdeditPairsJoinTheContrastiveBatch() throws Exception {
    PretrainClip.Sdedit e = new PretrainClip.Sdedit(11, 4, 8, 10, 5, 2, org.draft4j.shapesworld.ShapesWorldModel.ID);
    PretrainClip.Settings s = new PretrainClip.Settings(dir.resolve("clip"), 3, 8, 3e-3, 5, 3, null, true, 0, null,
        null, e);
    PretrainClip.train(s);
    List<String> log = java.nio.file.Files.readAllLines(dir.resolve("clip/clip_log.jsonl"));
    assertEquals(3, log.size());
    for (String l : log) {
      double loss = ((Number) org.draft4j.io.Json.parseObject(l).get("loss")).doubleValue();
      // 8 renders + 8 counterfactuals + 2 x 2 redrawn: a uniform guess over 20 captions costs log 20
      assertTrue(Double.isFinite(loss) && loss > 0 && loss < 2 * Math.log(20), l);
    }
    assertTrue(java.nio.file.Files.exists(dir.resolve("clip/sdedit_pool.safetensors")));
  }
}
