package org.draft4j.shapesworld;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
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
 *   <li>shape colour: the palette colour nearest to the shape's core colour (the mean of the quarter
 *       of its pixels farthest from the background);</li>
 *   <li>kind: the kind whose template, fitted to the shape's area, centroid and edge softness,
 *       overlaps the shape best (soft IoU);</li>
 *   <li>size: that template's radius, large from √50 ≈ 7.1 px (the world draws radius 5 and 10).</li>
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
      if (size(x) >= 0) {
        size = size(x);
      }
    }
    int n = Math.max(1, Math.min(2, kinds.size()));
    return new Target(bg, colors.isEmpty() ? -1 : colors.get(0), kinds.isEmpty() ? -1 : kinds.get(0), size, n);
  }

  /** The kind named by a word (the last word of each synonym: "five-pointed star" ends in "star"); -1 if none. */
  static int kind(String word) {
    for (int k = 0; k < ShapesWorld.SHAPE_WORDS.length; k++) {
      for (String syn : ShapesWorld.SHAPE_WORDS[k]) {
        if (syn.substring(syn.lastIndexOf(' ') + 1).equals(word)) {
          return k;
        }
      }
    }
    return -1;
  }

  /** The size a word names (0 small, 1 large); -1 if none. */
  static int size(String word) {
    for (int s = 0; s < ShapesWorld.SIZE_WORDS.length; s++) {
      if (Arrays.asList(ShapesWorld.SIZE_WORDS[s]).contains(word)) {
        return s;
      }
    }
    return -1;
  }

  /** The palette colour a word names; -1 if none. */
  static int color(String word) {
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
    double[][][] px = pixels(images, b);
    double[] bgc = borderMedian(px);
    int bg = nearest(bgc[0], bgc[1], bgc[2]);
    Foreground f = foreground(px, bgc);
    boolean bgOk = bg == t.background();
    if (t.shapes() != 1 || f.count() == 0) {
      return new Verdict(bgOk, false, false, false);
    }
    int color = nearest(f.color()[0], f.color()[1], f.color()[2]);
    Fit fit = fit(f);
    int size = fit.radius() >= LARGE_RADIUS ? 1 : 0;
    return new Verdict(bgOk, color == t.color(), fit.kind() == t.kind(), size == t.size());
  }

  /**
   * The kind whose template fits the foreground best: for each kind, the highest soft IoU
   * (Σ min(α, τ) / Σ max(α, τ)) between the foreground's opacity α and the kind's anti-aliased
   * template τ, over template radii of 0.9, 1 and 1.1 × the radius that gives the template the
   * foreground's area, over centres within half a pixel of the foreground's centroid, and over two
   * edge softnesses (the template as drawn, and blurred with σ = 0.7 px; both through the
   * foreground's opacity ramp). Fitting radius, centre and softness keeps the verdict from hinging
   * on a shape drawn a pixel larger, off-centre or with soft edges, which at 10 px decides between
   * a square and a circle.
   */
  private static Fit fit(Foreground f) {
    int best = -1;
    double bestRadius = 0;
    double bestIou = -1;
    for (int k = 0; k < ShapesWorld.SHAPES.length; k++) {
      double r0 = Math.sqrt(f.area() / UNIT_AREA[k]);
      for (double scale : new double[] {0.9, 1.0, 1.1}) {
        for (double dy = -0.5; dy <= 0.5; dy += 0.5) {
          for (double dx = -0.5; dx <= 0.5; dx += 0.5) {
            double[][] sharp = template(k, f.cx() + 0.5 + dx, f.cy() + 0.5 + dy, r0 * scale);
            for (double sigma : SOFTNESS) {
              double iou = softIou(f.alpha(), opacity(blur(sharp, sigma)));
              if (iou > bestIou) {
                bestIou = iou;
                best = k;
                bestRadius = r0 * scale;
              }
            }
          }
        }
      }
    }
    return new Fit(best, bestRadius);
  }

  /** Edge softness (Gaussian σ, px) of the templates tried: generated edges are softer than renders. */
  private static final double[] SOFTNESS = {0, 0.7};

  /** The foreground's opacity ramp applied to a template: clamp((τ − 0.25) / 0.5, 0, 1). */
  private static double[][] opacity(double[][] t) {
    double[][] o = new double[t.length][t[0].length];
    for (int y = 0; y < t.length; y++) {
      for (int x = 0; x < t[y].length; x++) {
        o[y][x] = Math.min(1, Math.max(0, (t[y][x] - 0.25) / 0.5));
      }
    }
    return o;
  }

  /** {@code t} convolved with a Gaussian of σ = {@code sigma} px (zero beyond the border); σ = 0: {@code t}. */
  private static double[][] blur(double[][] t, double sigma) {
    if (sigma == 0) {
      return t;
    }
    int n = t.length;
    double[] w = GaussianBlur.kernel(sigma);
    int r = w.length / 2;
    double[][] a = new double[n][n];
    double[][] b = new double[n][n];
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        for (int i = Math.max(-r, -x); i <= Math.min(r, n - 1 - x); i++) {
          a[y][x] += w[i + r] * t[y][x + i];
        }
      }
    }
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        for (int i = Math.max(-r, -y); i <= Math.min(r, n - 1 - y); i++) {
          b[y][x] += w[i + r] * a[y + i][x];
        }
      }
    }
    return b;
  }

  /** The best-fitting kind and the radius of its template. */
  private record Fit(int kind, double radius) {}

  /** Template radius from which a shape is large: √(5·10), between the world's radii 5 and 10 on a log scale. */
  private static final double LARGE_RADIUS = Math.sqrt(50);

  /** Area (in px²) of each kind's template at radius 1, measured from a radius-10 render. */
  private static final double[] UNIT_AREA = unitAreas();

  private static double[] unitAreas() {
    double[] a = new double[ShapesWorld.SHAPES.length];
    for (int k = 0; k < a.length; k++) {
      double sum = 0;
      for (double[] row : template(k, 16, 16, 10)) {
        for (double v : row) {
          sum += v;
        }
      }
      a[k] = sum / 100;
    }
    return a;
  }

  /** A kind drawn as in {@link ShapesWorld#render} (anti-aliased, real-valued vertices): opacity in [0,1]. */
  private static double[][] template(int kind, double cx, double cy, double r) {
    int n = ShapesWorld.SIZE;
    BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    ShapesWorld.draw(g, kind, cx, cy, r, false);
    g.dispose();
    double[][] t = new double[n][n];
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        t[y][x] = (img.getRGB(x, y) & 0xff) / 255.0;
      }
    }
    return t;
  }

  private static double softIou(double[][] a, double[][] b) {
    double inter = 0;
    double union = 0;
    for (int y = 0; y < a.length; y++) {
      for (int x = 0; x < a[y].length; x++) {
        inter += Math.min(a[y][x], b[y][x]);
        union += Math.max(a[y][x], b[y][x]);
      }
    }
    return union == 0 ? 0 : inter / union;
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
        d2 += (f.color()[c] - bgc[c]) * (f.color()[c] - bgc[c]);
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
   * The shape against the background colour {@code bg}. Candidate pixels are those farther than
   * 0.25 (RGB distance) from {@code bg}; the shape's colour {@code f} is the mean of the farthest
   * quarter of them (its core, away from edges that blur mixes with the background). A pixel's
   * position on the segment from {@code bg} to {@code f} is a = (p − bg)·(f − bg) / |f − bg|²; the
   * mask is a ≥ 0.5, the half-way contour, which a blur leaves in place where a fixed distance
   * threshold would grow the shape; the opacity ramp α = clamp((a − 0.25) / 0.5, 0, 1) keeps the
   * pixel noise of the background and of the shape's inside out of the area. Count and centroid
   * are the mask's; {@code area} = Σ α.
   */
  private record Foreground(
      double[][] alpha, int count, double area, double[] color, double cx, double cy) {}

  private static Foreground foreground(double[][][] px, double[] bgc) {
    int n = px[0].length;
    List<double[]> candidates = new ArrayList<>();
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        double d = distance(px, y, x, bgc);
        if (d > 0.25) {
          candidates.add(new double[] {d, px[0][y][x], px[1][y][x], px[2][y][x]});
        }
      }
    }
    double[][] alpha = new double[n][n];
    if (candidates.isEmpty()) {
      return new Foreground(alpha, 0, 0, new double[3], 0, 0);
    }
    candidates.sort((p, q) -> Double.compare(q[0], p[0]));
    int core = Math.max(1, candidates.size() / 4);
    double[] color = new double[3];
    for (int i = 0; i < core; i++) {
      for (int c = 0; c < 3; c++) {
        color[c] += candidates.get(i)[c + 1] / core;
      }
    }
    double norm = 0;
    for (int c = 0; c < 3; c++) {
      norm += (color[c] - bgc[c]) * (color[c] - bgc[c]);
    }
    int count = 0;
    double area = 0;
    double cy = 0;
    double cx = 0;
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        double dot = 0;
        for (int c = 0; c < 3; c++) {
          dot += (px[c][y][x] - bgc[c]) * (color[c] - bgc[c]);
        }
        double a = dot / norm;
        alpha[y][x] = Math.min(1, Math.max(0, (a - 0.25) / 0.5));
        area += alpha[y][x];
        if (a >= 0.5) {
          count++;
          cy += y;
          cx += x;
        }
      }
    }
    return new Foreground(alpha, count, area, color, count == 0 ? 0 : cx / count, count == 0 ? 0 : cy / count);
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
