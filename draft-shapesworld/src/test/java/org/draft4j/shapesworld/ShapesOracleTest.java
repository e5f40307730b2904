package org.draft4j.shapesworld;

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

  @Test
  void measuredAppealTracksTheScenesAppealComponents() {
    double bigArea = 0;
    double smallArea = 0;
    int big = 0;
    int small = 0;
    List<double[]> contrast = new ArrayList<>();
    for (int i = 0; i < 400 && contrast.size() < 120; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(13, i);
      if (s.shapes().size() != 1) {
        continue;
      }
      INDArray img = ShapesWorld.images(List.of(s)).add(1).muli(0.5);
      Map<String, Double> m = ShapesOracle.measuredAppeal(img);
      if (s.shapes().get(0).size() == 1) {
        bigArea += m.get("area");
        big++;
      } else {
        smallArea += m.get("area");
        small++;
      }
      int[] fg = ShapesWorld.RGB[s.shapes().get(0).color()];
      int[] bg = ShapesWorld.RGB[s.background()];
      double d2 = 0;
      for (int c = 0; c < 3; c++) {
        d2 += Math.pow((fg[c] - bg[c]) / 255.0, 2);
      }
      contrast.add(new double[] {Math.sqrt(d2 / 3), m.get("contrast")});
      assertTrue(m.get("centring") > 0 && m.get("centring") <= 1, m.toString());
      // flat renders are smooth; the same image with pixel noise is rough
      org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(i);
      INDArray noisy = img.add(org.nd4j.linalg.factory.Nd4j.rand(img.shape()).subi(0.5).muli(0.4));
      assertTrue(ShapesOracle.measuredAppeal(noisy).get("roughness") > 3 * m.get("roughness"),
          m + " vs noisy " + ShapesOracle.measuredAppeal(noisy));
    }
    assertTrue(big > 10 && small > 10, big + " big, " + small + " small");
    assertTrue(bigArea / big > 2 * smallArea / small, "area big " + bigArea / big + ", small " + smallArea / small);
    double r = pearson(contrast.stream().mapToDouble(p -> p[0]).toArray(),
        contrast.stream().mapToDouble(p -> p[1]).toArray());
    assertTrue(r > 0.9, "Pearson(true contrast, measured contrast) = " + r);
  }

  static double pearson(double[] a, double[] b) {
    double ma = java.util.Arrays.stream(a).average().orElse(0);
    double mb = java.util.Arrays.stream(b).average().orElse(0);
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / Math.sqrt(saa * sbb);
  }
}
