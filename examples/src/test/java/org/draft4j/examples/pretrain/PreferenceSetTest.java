package org.draft4j.examples.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.draft4j.shapesworld.ShapesWorld;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Preference pairs: right over wrong within a caption, and near misses across captions one attribute apart. */
class PreferenceSetTest {
  @Test
  void pairsAndNearMissesFollowTheOracle() {
    // caption 0: a scene and its render (right); caption 1: its counterfactual of another kind, with
    // one render of itself (right for caption 1, a near miss for caption 0) and one of scene 0 (wrong)
    ShapesWorld.Scene s = null;
    long i = 0;
    while (s == null || s.shapes().size() != 1) {
      s = ShapesWorld.scene(5, i++);
    }
    ShapesWorld.Scene c = ShapesWorld.counterfactual(5, i - 1, ShapesWorld.Attribute.KIND, 0);
    INDArray images = ShapesWorld.images(List.of(s, c, s)).addi(1).divi(2);
    PreferenceSet set = new PreferenceSet(images, List.of(s.caption(), c.caption()), new int[] {0, 1, 1},
        new boolean[] {true, true, false});
    assertEquals(List.of(new PreferenceSet.Pair(1, 1, 2)), set.pairs());
    List<PreferenceSet.Pair> near = new ArrayList<>(set.nearMisses());
    // caption 0 prefers its render over caption 1's render (a wrong kind); caption 1 prefers its own
    // render over caption 0's; sample 2 (scene 0 drawn for caption 1) is right for caption 0: no pair
    assertTrue(near.contains(new PreferenceSet.Pair(0, 0, 1)), near.toString());
    assertTrue(near.contains(new PreferenceSet.Pair(1, 1, 0)), near.toString());
    assertTrue(near.stream().noneMatch(p -> p.caption() == 0 && p.rejected() == 2), near.toString());
    assertEquals(2, near.size(), near.toString());
  }
}
