package org.draft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The oracle parses every caption template and recognizes ground-truth renders. */
class ShapesOracleTest {
  @Test
  void parsesCaptionsBackToTheirScenes() {
    for (int i = 0; i < 300; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(11, i);
      ShapesOracle.Target t = ShapesOracle.parse(s.caption());
      assertEquals(s.background(), t.background(), s.caption());
      assertEquals(s.shapes().size(), t.shapes(), s.caption());
      assertEquals(s.shapes().get(0).color(), t.color(), s.caption());
      assertEquals(s.shapes().get(0).kind(), t.kind(), s.caption());
      if (s.shapes().size() == 1) {
        assertEquals(s.shapes().get(0).size(), t.size(), s.caption());
      }
    }
  }

  @Test
  void judgesGroundTruthRendersCorrectly() {
    List<ShapesWorld.Scene> scenes = new ArrayList<>();
    List<String> caps = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      scenes.add(ShapesWorld.scene(12, i));
      caps.add(scenes.get(i).caption());
    }
    INDArray img = ShapesWorld.images(scenes).add(1).muli(0.5);
    Map<String, Double> acc = ShapesOracle.accuracy(img, caps);
    System.out.println("oracle on ground truth: " + acc);
    assertEquals(1.0, acc.get("background"), 1e-9, acc.toString());
    assertTrue(acc.get("shape_color") >= 0.97, acc.toString());
    assertTrue(acc.get("size") >= 0.97, acc.toString());
    assertTrue(acc.get("shape_kind") >= 0.8, acc.toString());
    // a wrong caption is judged wrong
    ShapesOracle.Target t = ShapesOracle.parse(caps.get(0));
    ShapesOracle.Target wrong = new ShapesOracle.Target((t.background() + 1) % 8, t.color(), t.kind(), t.size(),
        t.shapes());
    assertTrue(!ShapesOracle.judge(img, 0, wrong).background());
  }
}
