package org.draft4j.shapesworld;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Measures prompt fidelity in ShapesWorld without any learned model. {@link #parse} turns a caption
 * back into attributes; {@link #judge} reads an image ({@code [3,32,32]} in [0,1]) and decides per
 * attribute whether it matches:
 * <ul>
 *   <li>background: the palette colour nearest to the median of the border pixels;</li>
 *   <li>shape colour: the palette colour nearest to the mean of the foreground (pixels farther than
 *       0.25 from the background colour in RGB);</li>
 *   <li>size: the foreground's extent (larger bounding-box side) of at least 15 px is large (small
 *       shapes span about 10 px, large ones about 20);</li>
 *   <li>kind: highest IoU between the foreground mask and each kind rendered at the foreground's
 *       centroid with the size's radius.</li>
 * </ul>
 * Two-shape captions are judged on the background only.
 */
public final class ShapesOracle {
  private ShapesOracle() {}

  /** What a caption asks for; -1 where it does not say. */
  public record Target(int background, int color, int kind, int size, int shapes) {}

  /** The per-attribute verdict for one image. */
  public record Verdict(boolean background, boolean color, boolean kind, boolean size) {}

  /** Parses a ShapesWorld caption (any template of {@link ShapesWorld}). */
  public static Target parse(String caption) {
    String c = caption.toLowerCase(Locale.ROOT).replace(",", " ").replace(":", " ");
    List<String> w = new ArrayList<>(Arrays.asList(c.trim().split("\\s+")));
    int bg = -1;
    for (int i = 0; i < w.size(); i++) {
      String x = w.get(i);
      if ((x.equals("background") || x.equals("backdrop")) && i > 0 && color(w.get(i - 1)) >= 0) {
        bg = color(w.get(i - 1));
      }
      if (x.equals("over") && i + 1 < w.size() && color(w.get(i + 1)) >= 0) {
        bg = color(w.get(i + 1));
      }
    }
    List<Integer> colors = new ArrayList<>();
    List<Integer> kinds = new ArrayList<>();
    int size = -1;
    for (int i = 0; i < w.size(); i++) {
      String x = w.get(i);
      boolean isBg = i + 1 < w.size() && (w.get(i + 1).equals("background") || w.get(i + 1).equals("backdrop"))
          || i > 0 && w.get(i - 1).equals("over");
      if (color(x) >= 0 && !isBg) {
        colors.add(color(x));
      }
      int k = kind(x);
      if (k >= 0) {
        kinds.add(k);
      }
      for (int s = 0; s < 2; s++) {
        if (Arrays.asList(ShapesWorld.SIZE_WORDS[s]).contains(x)) {
          size = s;
        }
      }
    }
    int n = Math.max(1, Math.min(2, kinds.size()));
    return new Target(bg, colors.isEmpty() ? -1 : colors.get(0), kinds.isEmpty() ? -1 : kinds.get(0), size, n);
  }

  /** The kind named by a word (the last word of each synonym: "five-pointed star" ends in "star"). */
  private static int kind(String word) {
    for (int k = 0; k < ShapesWorld.SHAPE_WORDS.length; k++) {
      for (String syn : ShapesWorld.SHAPE_WORDS[k]) {
        if (syn.substring(syn.lastIndexOf(' ') + 1).equals(word)) {
          return k;
        }
      }
    }
    return -1;
  }

  private static int color(String word) {
    return Arrays.asList(ShapesWorld.COLORS).indexOf(word);
  }

  static int nearest(double r, double g, double b) {
    int best = 0;
    double bd = Double.MAX_VALUE;
    for (int i = 0; i < ShapesWorld.RGB.length; i++) {
      double dr = r - ShapesWorld.RGB[i][0] / 255.0;
      double dg = g - ShapesWorld.RGB[i][1] / 255.0;
      double db = b - ShapesWorld.RGB[i][2] / 255.0;
      double d = dr * dr + dg * dg + db * db;
      if (d < bd) {
        bd = d;
        best = i;
      }
    }
    return best;
  }

  /** Judges image {@code b} of a batch {@code [B,3,32,32]} in [0,1] against a target. */
  public static Verdict judge(INDArray images, int b, Target t) {
    int n = ShapesWorld.SIZE;
    double[][][] px = pixels(images, b);
    double[] bgc = borderMedian(px);
    int bg = nearest(bgc[0], bgc[1], bgc[2]);
    Foreground f = foreground(px, bgc);
    boolean bgOk = bg == t.background();
    if (t.shapes() != 1 || f.count() == 0) {
      return new Verdict(bgOk, false, false, false);
    }
    int color = nearest(f.mean(0), f.mean(1), f.mean(2));
    int size = f.extent() >= 15 ? 1 : 0;
    double cx = f.cx();
    double cy = f.cy();
    boolean[][] fg = f.mask();
    int kind = -1;
    double bestIou = -1;
    for (int k = 0; k < ShapesWorld.SHAPES.length; k++) {
      BufferedImage r = ShapesWorld.render(new ShapesWorld.Scene(7, List.of(new ShapesWorld.Shape(k, 6, size, cx + 0.5,
          cy + 0.5)), ""));
      int inter = 0;
      int uni = 0;
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          boolean m = (r.getRGB(x, y) & 0xff) > 128; // white shape on black
          inter += m && fg[y][x] ? 1 : 0;
          uni += m || fg[y][x] ? 1 : 0;
        }
      }
      double iou = uni == 0 ? 0 : (double) inter / uni;
      if (iou > bestIou) {
        bestIou = iou;
        kind = k;
      }
    }
    return new Verdict(bgOk, color == t.color(), kind == t.kind(), size == t.size());
  }

  /**
   * The visual-appeal components of {@link ShapesAppeal}, measured from pixels (mean over a batch):
   * {@code contrast} = |mean foreground rgb − background rgb| / √3, {@code area} = foreground
   * fraction of the image, {@code centring} = 1 − distance of the foreground centroid from the image
   * centre / half the diagonal; background and foreground as in {@link #judge}. Also {@code roughness}
   * = mean |difference| between horizontally and vertically adjacent pixel values (pixel noise and
   * speckle raise it; the shipped world renders flat colours).
   */
  public static Map<String, Double> measuredAppeal(INDArray images) {
    int n = ShapesWorld.SIZE;
    long batch = images.size(0);
    double contrast = 0;
    double area = 0;
    double centring = 0;
    double roughness = 0;
    for (int b = 0; b < batch; b++) {
      double[][][] px = pixels(images, b);
      double r = 0;
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < n; y++) {
          for (int x = 0; x < n; x++) {
            r += x + 1 < n ? Math.abs(px[c][y][x + 1] - px[c][y][x]) : 0;
            r += y + 1 < n ? Math.abs(px[c][y + 1][x] - px[c][y][x]) : 0;
          }
        }
      }
      roughness += r / (3.0 * 2 * n * (n - 1));
      double[] bgc = borderMedian(px);
      Foreground f = foreground(px, bgc);
      if (f.count() == 0) {
        continue; // no foreground: contributes 0 to contrast, area and centring
      }
      double d2 = 0;
      for (int c = 0; c < 3; c++) {
        d2 += (f.mean(c) - bgc[c]) * (f.mean(c) - bgc[c]);
      }
      contrast += Math.sqrt(d2 / 3);
      area += (double) f.count() / (n * n);
      double half = (n - 1) / 2.0;
      centring += 1 - Math.hypot(f.cy() - half, f.cx() - half) / (half * Math.sqrt(2));
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("contrast", contrast / batch);
    m.put("area", area / batch);
    m.put("centring", centring / batch);
    m.put("roughness", roughness / batch);
    return m;
  }

  private static double[][][] pixels(INDArray images, int b) {
    int n = ShapesWorld.SIZE;
    double[][][] px = new double[3][n][n];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          px[c][y][x] = images.getDouble(b, c, y, x);
        }
      }
    }
    return px;
  }

  private static double[] borderMedian(double[][][] px) {
    int n = px[0].length;
    double[] bgc = new double[3];
    for (int c = 0; c < 3; c++) {
      List<Double> border = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        border.add(px[c][0][i]);
        border.add(px[c][n - 1][i]);
        border.add(px[c][i][0]);
        border.add(px[c][i][n - 1]);
      }
      border.sort(Double::compare);
      bgc[c] = border.get(border.size() / 2);
    }
    return bgc;
  }

  /**
   * The pixels farther than 0.25 (RGB distance) from the background colour: mask, count, colour sum,
   * centroid and bounding box.
   */
  private record Foreground(boolean[][] mask, int count, double[] sum, double cx, double cy, int extent) {
    double mean(int channel) {
      return sum[channel] / count;
    }
  }

  private static Foreground foreground(double[][][] px, double[] bgc) {
    int n = px[0].length;
    boolean[][] fg = new boolean[n][n];
    double[] sum = new double[3];
    int count = 0;
    double cy = 0;
    double cx = 0;
    int minX = n;
    int maxX = -1;
    int minY = n;
    int maxY = -1;
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        if (distance(px, y, x, bgc) > 0.25) {
          fg[y][x] = true;
          count++;
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
          cy += y;
          cx += x;
          for (int c = 0; c < 3; c++) {
            sum[c] += px[c][y][x];
          }
        }
      }
    }
    return new Foreground(fg, count, sum, count == 0 ? 0 : cx / count, count == 0 ? 0 : cy / count,
        Math.max(maxX - minX, maxY - minY) + 1);
  }

  private static double distance(double[][][] px, int y, int x, double[] bgc) {
    double d = 0;
    for (int c = 0; c < 3; c++) {
      d += (px[c][y][x] - bgc[c]) * (px[c][y][x] - bgc[c]);
    }
    return Math.sqrt(d);
  }

  /**
   * Accuracy per attribute over a batch (single-shape captions for colour, kind and size), and
   * {@code mean}: the fraction of all judged attributes that are right (each image's background,
   * plus colour, kind and size of single-shape images).
   */
  public static Map<String, Double> accuracy(INDArray images, List<String> captions) {
    double bg = 0;
    double col = 0;
    double kind = 0;
    double size = 0;
    int single = 0;
    for (int i = 0; i < captions.size(); i++) {
      Target t = parse(captions.get(i));
      Verdict v = judge(images, i, t);
      bg += v.background() ? 1 : 0;
      if (t.shapes() == 1) {
        single++;
        col += v.color() ? 1 : 0;
        kind += v.kind() ? 1 : 0;
        size += v.size() ? 1 : 0;
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("background", bg / captions.size());
    m.put("shape_color", single == 0 ? Double.NaN : col / single);
    m.put("shape_kind", single == 0 ? Double.NaN : kind / single);
    m.put("size", single == 0 ? Double.NaN : size / single);
    m.put("mean", (bg + col + kind + size) / (captions.size() + 3.0 * single));
    return m;
  }
}
