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
    assertJudgedRight("ground truth", img, caps);
    // a wrong caption is judged wrong
    ShapesOracle.Target t = ShapesOracle.parse(caps.get(0));
    ShapesOracle.Target wrong = new ShapesOracle.Target((t.background() + 1) % 8, t.color(), t.kind(), t.size(),
        t.shapes());
    assertTrue(!ShapesOracle.judge(img, 0, wrong).background());
  }

  /**
   * Generated shapes are not the world's exact renders: a pixel larger or smaller, off the pixel grid,
   * with soft edges. Single shapes drawn with radius × U(0.85, 1.15) at a random sub-pixel centre,
   * blurred (σ = 0.6 px) and with pixel noise (σ = 0.03) are still judged right. (The oracle that
   * thresholded the distance from the background and matched a template of the nominal radius got
   * kind 0.82 here, half of the small squares judged circles.)
   */
  @Test
  void judgesPerturbedRendersCorrectly() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    int n = 300;
    int n32 = ShapesWorld.SIZE;
    float[] v = new float[n * 3 * n32 * n32];
    List<String> caps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int bg = r.nextInt(8);
      int col = (bg + 1 + r.nextInt(7)) % 8;
      int kind = r.nextInt(5);
      int size = r.nextInt(2);
      double rad = (size == 0 ? 5 : 10) * (0.85 + 0.3 * r.nextDouble());
      double cx = 11 + r.nextDouble() * 10;
      double cy = 11 + r.nextDouble() * 10;
      java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(n32, n32,
          java.awt.image.BufferedImage.TYPE_INT_RGB);
      java.awt.Graphics2D g = img.createGraphics();
      g.setRenderingHint(java.awt.RenderingHints.KEY_ANTIALIASING, java.awt.RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(ShapesWorld.color(bg));
      g.fillRect(0, 0, n32, n32);
      g.setColor(ShapesWorld.color(col));
      ShapesWorld.draw(g, kind, cx, cy, rad, false);
      g.dispose();
      float[] clean = new float[3 * n32 * n32];
      for (int y = 0; y < n32; y++) {
        for (int x = 0; x < n32; x++) {
          int p = img.getRGB(x, y);
          for (int c = 0; c < 3; c++) {
            clean[(c * n32 + y) * n32 + x] = ((p >> (16 - 8 * c)) & 0xff) / 255f;
          }
        }
      }
      float[] soft = GaussianBlur.apply(org.nd4j.linalg.factory.Nd4j.create(clean, new long[] {3, n32, n32}, 'c'), 0.6)
          .data().asFloat();
      for (int j = 0; j < soft.length; j++) {
        v[i * soft.length + j] = (float) Math.min(1, Math.max(0, soft[j] + 0.03 * gaussian(r)));
      }
      caps.add("a " + ShapesWorld.SIZES[size] + " " + ShapesWorld.COLORS[col] + " " + ShapesWorld.SHAPES[kind]
          + " on a " + ShapesWorld.COLORS[bg] + " background");
    }
    INDArray images = org.nd4j.linalg.factory.Nd4j.create(v, new long[] {n, 3, n32, n32}, 'c');
    assertJudgedRight("perturbed renders", images, caps);
  }

  /** Every background right, and at least 0.97 of colours, kinds and sizes. */
  private static void assertJudgedRight(String what, INDArray images, List<String> caps) {
    Map<String, Double> acc = ShapesOracle.accuracy(images, caps);
    System.out.println("oracle on " + what + ": " + acc);
    assertEquals(1.0, acc.get("background"), 1e-9, acc.toString());
    assertTrue(acc.get("shape_color") >= 0.97, acc.toString());
    assertTrue(acc.get("shape_kind") >= 0.97, acc.toString());
    assertTrue(acc.get("size") >= 0.97, acc.toString());
  }

  private static double gaussian(java.util.SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
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
