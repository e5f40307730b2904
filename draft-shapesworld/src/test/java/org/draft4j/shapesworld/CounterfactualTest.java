package org.draft4j.shapesworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A counterfactual scene differs from its scene in the one attribute it changes, in pixels and caption. */
class CounterfactualTest {
  @Test
  void changesOneAttributeAndOnlyItsWords() {
    for (int i = 0; i < 200; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(21, i);
      ShapesOracle.Target t = ShapesOracle.parse(s.caption());
      for (ShapesWorld.Attribute a : ShapesWorld.Attribute.values()) {
        int choice = i * 7 + a.ordinal();
        ShapesWorld.Scene c = ShapesWorld.counterfactual(21, i, a, choice);
        ShapesOracle.Target u = ShapesOracle.parse(c.caption());
        String why = a + ": \"" + s.caption() + "\" -> \"" + c.caption() + "\"";
        assertNotEquals(s.caption(), c.caption(), why);
        // what the caption states matches the changed scene (the oracle's parse is checked on scenes elsewhere)
        assertEquals(c.background(), u.background(), why);
        assertEquals(c.shapes().get(0).color(), u.color(), why);
        assertEquals(c.shapes().get(0).kind(), u.kind(), why);
        ShapesWorld.Attribute effective = a == ShapesWorld.Attribute.SIZE && s.shapes().size() == 2
            ? ShapesWorld.Attribute.KIND : a;
        int changed = 0;
        changed += s.background() != c.background() ? 1 : 0;
        for (int k = 0; k < s.shapes().size(); k++) {
          ShapesWorld.Shape x = s.shapes().get(k);
          ShapesWorld.Shape y = c.shapes().get(k);
          changed += x.kind() != y.kind() ? 1 : 0;
          changed += x.color() != y.color() ? 1 : 0;
          changed += x.size() != y.size() ? 1 : 0;
          assertTrue(y.cx() - y.radius() >= 0 && y.cx() + y.radius() <= ShapesWorld.SIZE, why);
        }
        assertEquals(1, changed, why);
        if (effective == ShapesWorld.Attribute.SIZE) {
          assertEquals(1 - t.size(), u.size(), why);
        }
        if (effective == ShapesWorld.Attribute.BACKGROUND) {
          assertTrue(c.shapes().stream().noneMatch(x -> x.color() == c.background()), why);
        }
        if (effective == ShapesWorld.Attribute.COLOR) {
          assertNotEquals(c.background(), c.shapes().get(choice % s.shapes().size()).color(), why);
        }
      }
    }
  }

  @Test
  void theOracleSeesTheChangeInTheRender() {
    for (int i = 0; i < 60; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(22, i);
      if (s.shapes().size() != 1) {
        continue;
      }
      for (ShapesWorld.Attribute a : ShapesWorld.Attribute.values()) {
        ShapesWorld.Scene c = ShapesWorld.counterfactual(22, i, a, i);
        INDArray img = ShapesWorld.images(List.of(c)).add(1).muli(0.5);
        ShapesOracle.Verdict own = ShapesOracle.judge(img, 0, ShapesOracle.parse(c.caption()));
        ShapesOracle.Verdict orig = ShapesOracle.judge(img, 0, ShapesOracle.parse(s.caption()));
        assertTrue(own.background() && own.color() && own.kind() && own.size(), a + " " + c.caption());
        boolean[] v = {orig.kind(), orig.size(), orig.color(), orig.background()};
        assertTrue(!v[a.ordinal()], a + ": the render of \"" + c.caption() + "\" still matches \"" + s.caption() + "\"");
      }
    }
  }

  @Test
  void refusesAMissingAttributeOrNegativeChoice() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ShapesWorld.counterfactual(1, 1, null, 0));
    assertTrue(e.getMessage().contains("changed = null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ShapesWorld.counterfactual(1, 1, ShapesWorld.Attribute.KIND, -1));
    assertTrue(e.getMessage().contains("choice = -1"), e.getMessage());
  }
}
