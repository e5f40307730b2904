package org.draft4j.shapesworld;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.draft4j.rewards.Rewards;
import org.draft4j.spi.Reward;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The world's caption-reading rewards prefer a render's own caption to its one-attribute counterfactual. */
class WorldRewardsTest {
  @Test
  void contrastiveAndAveragedAlignmentPreferTheTrueCaption() {
    List<ShapesWorld.Scene> scenes = new ArrayList<>();
    List<String> own = new ArrayList<>();
    List<String> other = new ArrayList<>();
    for (int i = 0; scenes.size() < 32; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(31, i);
      scenes.add(s);
      own.add(s.caption());
      other.add(ShapesWorld.counterfactual(31, i, ShapesWorld.Attribute.values()[i % 4], i).caption());
    }
    INDArray images = ShapesWorld.images(scenes).addi(1).divi(2);
    for (Reward r : List.of(ShapesWorldModel.contrastiveAlignment(), ShapesWorldModel.averagedAlignment())) {
      INDArray a = Rewards.score(r, images, own);
      INDArray b = Rewards.score(r, images, other);
      int prefer = 0;
      for (int i = 0; i < scenes.size(); i++) {
        prefer += a.getDouble(i) > b.getDouble(i) ? 1 : 0;
      }
      assertTrue(prefer >= 28, r.name() + " prefers the true caption for " + prefer + " of 32 renders");
    }
  }

  @Test
  void kindContrastiveRewardsPreferTheTrueKind() {
    List<ShapesWorld.Scene> scenes = new ArrayList<>();
    List<String> own = new ArrayList<>();
    List<String> other = new ArrayList<>();
    for (int i = 0; scenes.size() < 32; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(37, i);
      if (s.shapes().isEmpty()) {
        continue;
      }
      scenes.add(s);
      own.add(s.caption());
      other.add(ShapesWorld.counterfactual(37, i, ShapesWorld.Attribute.KIND, i).caption());
    }
    INDArray images = ShapesWorld.images(scenes).addi(1).divi(2);
    for (Reward r : List.of(ShapesWorldModel.kindContrastiveAlignment(),
        ShapesWorldModel.averagedKindContrastiveAlignment())) {
      INDArray a = Rewards.score(r, images, own);
      INDArray b = Rewards.score(r, images, other);
      int prefer = 0;
      for (int i = 0; i < scenes.size(); i++) {
        assertTrue(a.getDouble(i) <= 1e-6, r.name() + " is a log-probability: " + a.getDouble(i));
        prefer += a.getDouble(i) > b.getDouble(i) ? 1 : 0;
      }
      assertTrue(prefer >= 28, r.name() + " prefers the true kind for " + prefer + " of 32 renders");
    }
  }
}
