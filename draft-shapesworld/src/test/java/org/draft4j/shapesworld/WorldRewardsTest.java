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
    assertPreferTheTrueCaption(31, i -> ShapesWorld.Attribute.values()[i % 4],
        List.of(ShapesWorldModel.contrastiveAlignment(), ShapesWorldModel.averagedAlignment()));
  }

  @Test
  void kindContrastiveRewardsPreferTheTrueKind() {
    assertPreferTheTrueCaption(37, i -> ShapesWorld.Attribute.KIND,
        List.of(ShapesWorldModel.kindContrastiveAlignment(), ShapesWorldModel.averagedKindContrastiveAlignment()));
  }

  /**
   * Each reward scores 32 renders of world seed {@code world} higher with their own caption than with
   * the caption of their counterfactual (the attribute {@code changed(i)} changed) for at least 28.
   */
  private static void assertPreferTheTrueCaption(long world,
      java.util.function.IntFunction<ShapesWorld.Attribute> changed, List<Reward> rewards) {
    List<ShapesWorld.Scene> scenes = new ArrayList<>();
    List<String> own = new ArrayList<>();
    List<String> other = new ArrayList<>();
    for (int i = 0; scenes.size() < 32; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(world, i);
      scenes.add(s);
      own.add(s.caption());
      other.add(ShapesWorld.counterfactual(world, i, changed.apply(i), i).caption());
    }
    INDArray images = ShapesWorld.images(scenes).addi(1).divi(2);
    for (Reward r : rewards) {
      INDArray a = Rewards.score(r, images, own);
      INDArray b = Rewards.score(r, images, other);
      int prefer = 0;
      for (int i = 0; i < scenes.size(); i++) {
        prefer += a.getDouble(i) > b.getDouble(i) ? 1 : 0;
      }
      assertTrue(prefer >= 28, r.name() + " prefers the true caption for " + prefer + " of 32 renders");
    }
  }
}
