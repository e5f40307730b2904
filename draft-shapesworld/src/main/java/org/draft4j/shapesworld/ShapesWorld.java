package org.draft4j.shapesworld;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ShapesWorld: 32×32 RGB scenes of one or two coloured shapes (circle, square, triangle, star, ring)
 * of a size and position on a plain background, with natural-language captions using synonyms and
 * several word orders ("a small red star on a blue background", "blue background with a tiny red
 * star"). Scene i of a seed is deterministic; the world is unlimited.
 */
public final class ShapesWorld {
  /** Image side in pixels. */
  public static final int SIZE = 32;
  static final String[] COLORS = {"red", "green", "blue", "yellow", "purple", "orange", "white", "black"};
  static final int[][] RGB = {
    {220, 40, 40}, {40, 170, 60}, {40, 80, 220}, {240, 215, 40}, {140, 60, 190}, {250, 140, 30}, {240, 240, 240},
    {25, 25, 25}};
  static final String[] SHAPES = {"circle", "square", "triangle", "star", "ring"};
  static final String[][] SHAPE_WORDS = {
    {"circle", "disc", "dot"}, {"square", "box", "block"}, {"triangle", "triangle", "wedge"},
    {"star", "star", "five-pointed star"}, {"ring", "hoop", "donut"}};
  static final String[] SIZES = {"small", "large"};
  static final String[][] SIZE_WORDS = {{"small", "tiny", "little"}, {"large", "big", "huge"}};

  private ShapesWorld() {}

  /** One shape of a scene: kind, colour and size indices, centre in pixels. */
  public record Shape(int kind, int color, int size, double cx, double cy) {
    public String kindName() {
      return SHAPES[kind];
    }

    public String colorName() {
      return COLORS[color];
    }

    public String sizeName() {
      return SIZES[size];
    }

    /** Radius in pixels: small 5, large 10. */
    public double radius() {
      return size == 0 ? 5 : 10;
    }
  }

  /** A scene: background colour, shapes, and the caption describing it. */
  public record Scene(int background, List<Shape> shapes, String caption) {
    public String backgroundName() {
      return COLORS[background];
    }
  }

  /** An attribute a caption states, the one a {@linkplain #counterfactual counterfactual} changes. */
  public enum Attribute { KIND, SIZE, COLOR, BACKGROUND }

  /** Scene i for a seed. */
  public static Scene scene(long seed, long i) {
    return scene(seed, i, null, 0);
  }

  /**
   * Scene i of a seed with one attribute changed: a hard negative for contrastive training. The
   * positions, caption template and synonyms are scene i's, so the caption differs from scene i's in
   * the changed words only. {@code choice >= 0} picks the shape (of two) and the new value among the
   * allowed ones: another kind; the other size (a two-shape scene's shapes are small and their
   * caption names no size, so SIZE changes the kind there); a colour other than the background and
   * the other shapes'; a background other than every shape's colour. A large shape keeps its centre
   * where that fits and is moved inside the image where it does not.
   */
  public static Scene counterfactual(long seed, long i, Attribute changed, int choice) {
    if (changed == null || choice < 0) {
      throw new IllegalArgumentException("counterfactual(changed = " + changed + ", choice = " + choice
          + "): needs an attribute and a choice >= 0");
    }
    return scene(seed, i, changed, choice);
  }

  private static Scene scene(long seed, long i, Attribute changed, int choice) {
    SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i * 7919L + 17);
    int bg = r.nextInt(COLORS.length);
    int n = r.nextInt(4) == 0 ? 2 : 1;
    List<Shape> shapes = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      int color = (bg + 1 + r.nextInt(COLORS.length - 1)) % COLORS.length;
      int size = n == 2 ? 0 : r.nextInt(2);
      double rad = size == 0 ? 5 : 10;
      double cx;
      double cy;
      if (n == 2) {
        cx = k == 0 ? 8 + r.nextDouble() * 3 : 21 + r.nextDouble() * 3;
        cy = 9 + r.nextDouble() * 14;
      } else {
        cx = rad + 1 + r.nextDouble() * (SIZE - 2 * rad - 2);
        cy = rad + 1 + r.nextDouble() * (SIZE - 2 * rad - 2);
      }
      shapes.add(new Shape(r.nextInt(SHAPES.length), color, size, cx, cy));
    }
    if (changed != null) {
      bg = change(bg, shapes, changed, choice);
    }
    return new Scene(bg, List.copyOf(shapes), caption(bg, shapes, r));
  }

  /** Applies a counterfactual change to {@code shapes} in place; returns the (new) background. */
  private static int change(int bg, List<Shape> shapes, Attribute changed, int choice) {
    int k = choice % shapes.size();
    Shape s = shapes.get(k);
    int pick = choice / shapes.size();
    if (changed == Attribute.SIZE && shapes.size() == 2) {
      changed = Attribute.KIND;
    }
    switch (changed) {
      case KIND -> shapes.set(k, new Shape((s.kind() + 1 + pick % (SHAPES.length - 1)) % SHAPES.length, s.color(),
          s.size(), s.cx(), s.cy()));
      case SIZE -> {
        int size = 1 - s.size();
        double rad = size == 0 ? 5 : 10;
        double lo = rad + 1;
        double hi = SIZE - rad - 1;
        shapes.set(k, new Shape(s.kind(), s.color(), size, Math.min(hi, Math.max(lo, s.cx())),
            Math.min(hi, Math.max(lo, s.cy()))));
      }
      case COLOR -> {
        List<Integer> allowed = unusedColors(bg, shapes);
        shapes.set(k, new Shape(s.kind(), allowed.get(pick % allowed.size()), s.size(), s.cx(), s.cy()));
      }
      case BACKGROUND -> {
        List<Integer> allowed = unusedColors(bg, shapes);
        return allowed.get(pick % allowed.size());
      }
      default -> throw new AssertionError(changed);
    }
    return bg;
  }

  /** The colors neither the background nor any shape has, ascending: what a color change may pick. */
  private static List<Integer> unusedColors(int bg, List<Shape> shapes) {
    List<Integer> allowed = new ArrayList<>();
    for (int c = 0; c < COLORS.length; c++) {
      int cc = c;
      if (c != bg && shapes.stream().noneMatch(x -> x.color() == cc)) {
        allowed.add(c);
      }
    }
    return allowed;
  }

  private static String phrase(Shape s, SplittableRandom r, boolean withSize) {
    String w = SHAPE_WORDS[s.kind()][r.nextInt(3)];
    String z = SIZE_WORDS[s.size()][r.nextInt(3)];
    return (withSize ? z + " " : "") + COLORS[s.color()] + " " + w;
  }

  private static String caption(int bg, List<Shape> shapes, SplittableRandom r) {
    String b = COLORS[bg];
    if (shapes.size() == 2) {
      String a = phrase(shapes.get(0), r, false);
      String c = phrase(shapes.get(1), r, false);
      return switch (r.nextInt(3)) {
        case 0 -> "a " + a + " and a " + c + " on a " + b + " background";
        case 1 -> "two shapes: a " + a + " left of a " + c + ", " + b + " background";
        default -> b + " background with a " + a + " and a " + c;
      };
    }
    String p = phrase(shapes.get(0), r, true);
    return switch (r.nextInt(4)) {
      case 0 -> "a " + p + " on a " + b + " background";
      case 1 -> "a " + p + " over " + b;
      case 2 -> b + " background with a " + p;
      default -> "an image of a " + p + ", " + b + " backdrop";
    };
  }

  /** An unlimited prompt source of ShapesWorld captions (scene i of {@code worldSeed}, shuffled by position). */
  public static org.draft4j.train.PromptSource prompts(long worldSeed) {
    return (index, trainerSeed) -> scene(worldSeed ^ trainerSeed, index).caption();
  }

  /** Captions of scenes [0, n) for a seed. */
  public static List<String> captions(long seed, int n) {
    List<String> l = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      l.add(scene(seed, i).caption());
    }
    return l;
  }

  /** Renders a scene (anti-aliased) to a 32×32 image. */
  public static BufferedImage render(Scene s) {
    BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(color(s.background()));
    g.fillRect(0, 0, SIZE, SIZE);
    for (Shape sh : s.shapes()) {
      g.setColor(color(sh.color()));
      draw(g, sh.kind(), sh.cx(), sh.cy(), sh.radius(), true);
    }
    g.dispose();
    return img;
  }

  /**
   * Fills one shape of {@code kind} centred at ({@code cx}, {@code cy}) with radius {@code r} in the
   * graphics' current colour: circle of radius r, square of side 1.7r, triangle and five-pointed star
   * (inner radius 0.45r) with vertices at r, ring of centre-line radius 0.78r and stroke 0.45r.
   * {@code roundVertices}: polygon vertices on whole pixels, as the world's renders have them.
   */
  static void draw(Graphics2D g, int kind, double cx, double cy, double r, boolean roundVertices) {
    switch (kind) {
      case 0 -> g.fill(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
      case 1 -> g.fill(new java.awt.geom.Rectangle2D.Double(cx - r * 0.85, cy - r * 0.85, 1.7 * r, 1.7 * r));
      case 2 -> g.fill(polygon(cx, cy, r, 3, 1.0, roundVertices));
      case 3 -> g.fill(polygon(cx, cy, r, 5, 0.45, roundVertices));
      default -> {
        g.setStroke(new BasicStroke((float) (r * 0.45)));
        double rr = r * 0.78;
        g.draw(new Ellipse2D.Double(cx - rr, cy - rr, 2 * rr, 2 * rr));
      }
    }
  }

  private static java.awt.Shape polygon(double cx, double cy, double r, int points, double innerRatio, boolean round) {
    Polygon rounded = new Polygon();
    java.awt.geom.Path2D.Double exact = new java.awt.geom.Path2D.Double();
    boolean star = innerRatio < 1;
    int n = star ? 2 * points : points;
    for (int i = 0; i < n; i++) {
      double rad = star && i % 2 == 1 ? r * innerRatio : r;
      double a = -Math.PI / 2 + 2 * Math.PI * i / n;
      double x = cx + rad * Math.cos(a);
      double y = cy + rad * Math.sin(a);
      rounded.addPoint((int) Math.round(x), (int) Math.round(y));
      if (i == 0) {
        exact.moveTo(x, y);
      } else {
        exact.lineTo(x, y);
      }
    }
    exact.closePath();
    return round ? rounded : exact;
  }

  static Color color(int i) {
    return new Color(RGB[i][0], RGB[i][1], RGB[i][2]);
  }

  /** A batch of scenes as the model's input: {@code [n, 3, 32, 32]} in [-1, 1]. */
  public static INDArray images(List<Scene> scenes) {
    float[] v = new float[scenes.size() * 3 * SIZE * SIZE];
    for (int b = 0; b < scenes.size(); b++) {
      BufferedImage img = render(scenes.get(b));
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          int rgb = img.getRGB(x, y);
          for (int c = 0; c < 3; c++) {
            int q = (rgb >> (16 - 8 * c)) & 0xff;
            v[((b * 3 + c) * SIZE + y) * SIZE + x] = q / 127.5f - 1f;
          }
        }
      }
    }
    return Nd4j.create(v, new long[] {scenes.size(), 3, SIZE, SIZE}, 'c');
  }
}
