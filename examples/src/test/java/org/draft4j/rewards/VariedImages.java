package org.draft4j.rewards;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A seeded set of images of the kinds an independent check used to find where a JPEG-size estimate
 * misranks: every {@link Category} with {@code perCategory} random variants, RGB in [0, 1] already
 * quantized to 8-bit levels (so an estimate and an encoder see the same pixels).
 */
final class VariedImages {
  enum Category {
    FLAT, GRADIENT, GAUSSIAN_NOISE, UNIFORM_NOISE, STRIPES, CHECKERBOARD, SHAPES, SINUSOID, SALT_AND_PEPPER,
    BLOCKY_NOISE, GRID_LINES, COMBINATION
  }

  /** One image and what it is. */
  record Image(Category category, String description, float[][][] rgb) {}

  private VariedImages() {}

  static List<Image> generate(long seed, int perCategory, int side) {
    Random r = new Random(seed);
    List<Image> out = new ArrayList<>();
    for (Category c : Category.values()) {
      for (int i = 0; i < perCategory; i++) {
        out.add(make(c, i, perCategory, r, side));
      }
    }
    return out;
  }

  /** {@code [N, 3, side, side]} of the images. */
  static INDArray array(List<Image> images) {
    int n = images.size();
    int h = images.get(0).rgb()[0].length;
    int w = images.get(0).rgb()[0][0].length;
    float[] flat = new float[n * 3 * h * w];
    int k = 0;
    for (Image im : images) {
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            flat[k++] = im.rgb()[c][y][x];
          }
        }
      }
    }
    return Nd4j.create(flat, new long[] {n, 3, h, w}, 'c');
  }

  private static float[] colour(Random r) {
    return new float[] {r.nextFloat(), r.nextFloat(), r.nextFloat()};
  }

  private static Image make(Category cat, int i, int n, Random r, int s) {
    float[][][] im = new float[3][s][s];
    double t = n == 1 ? 0.5 : i / (n - 1.0); // a parameter ramp within the category
    String what;
    switch (cat) {
      case FLAT -> {
        float[] c = colour(r);
        fill(im, (y, x, ch) -> c[ch]);
        what = "flat";
      }
      case GRADIENT -> {
        float[] a = colour(r);
        float[] b = colour(r);
        double ang = r.nextDouble() * Math.PI * 2;
        double dx = Math.cos(ang);
        double dy = Math.sin(ang);
        fill(im, (y, x, ch) -> {
          double u = 0.5 + ((x - s / 2.0) * dx + (y - s / 2.0) * dy) / (s * 1.42);
          return (float) (a[ch] + (b[ch] - a[ch]) * u);
        });
        what = String.format("gradient angle %.2f", ang);
      }
      case GAUSSIAN_NOISE -> {
        float[] c = colour(r);
        double amp = 0.005 + 0.3 * t * t;
        fill(im, (y, x, ch) -> (float) (c[ch] + amp * r.nextGaussian()));
        what = String.format("gaussian noise sd %.3f", amp);
      }
      case UNIFORM_NOISE -> {
        float[] c = colour(r);
        double amp = 0.01 + 0.99 * t * t;
        boolean grey = r.nextBoolean();
        fill(im, (y, x, ch) -> (float) (c[ch] + amp * (r.nextDouble() - 0.5)));
        if (grey) {
          for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
              im[1][y][x] = im[0][y][x];
              im[2][y][x] = im[0][y][x];
            }
          }
        }
        what = String.format("uniform noise width %.3f%s", amp, grey ? " grey" : "");
      }
      case STRIPES -> {
        float[] a = colour(r);
        float[] b = colour(r);
        int period = 2 + r.nextInt(15);
        int dir = r.nextInt(3);
        fill(im, (y, x, ch) -> {
          int u = dir == 0 ? x : dir == 1 ? y : x + y;
          return (u % period) < period / 2.0 ? a[ch] : b[ch];
        });
        what = "stripes period " + period + " dir " + dir;
      }
      case CHECKERBOARD -> {
        float[] a = colour(r);
        float[] b = colour(r);
        int cell = 1 + r.nextInt(12);
        fill(im, (y, x, ch) -> ((x / cell + y / cell) % 2 == 0) ? a[ch] : b[ch]);
        what = "checkerboard cell " + cell;
      }
      case SHAPES -> {
        float[] bg = colour(r);
        fill(im, (y, x, ch) -> bg[ch]);
        int shapes = 1 + r.nextInt(4);
        for (int k = 0; k < shapes; k++) {
          float[] c = colour(r);
          double cx = r.nextDouble() * s;
          double cy = r.nextDouble() * s;
          double rad = 4 + r.nextDouble() * s / 3;
          boolean circle = r.nextBoolean();
          paint(im, (y, x) -> circle ? Math.hypot(x - cx, y - cy) < rad
              : Math.abs(x - cx) < rad && Math.abs(y - cy) < rad * 0.7, c);
        }
        what = shapes + " shapes";
      }
      case SINUSOID -> {
        float[] a = colour(r);
        double fx = (0.5 + r.nextDouble() * 2.5) * 2 * Math.PI / s;
        double fy = (0.5 + r.nextDouble() * 2.5) * 2 * Math.PI / s;
        double amp = 0.1 + 0.3 * r.nextDouble();
        fill(im, (y, x, ch) -> (float) (a[ch] + amp * Math.sin(fx * x + ch) * Math.cos(fy * y)));
        what = String.format("sinusoid %.3f/%.3f", fx, fy);
      }
      case SALT_AND_PEPPER -> {
        float[] c = colour(r);
        double density = 0.005 + 0.2 * t;
        fill(im, (y, x, ch) -> c[ch]);
        for (int y = 0; y < s; y++) {
          for (int x = 0; x < s; x++) {
            if (r.nextDouble() < density) {
              float v = r.nextBoolean() ? 1f : 0f;
              for (int ch = 0; ch < 3; ch++) {
                im[ch][y][x] = v;
              }
            }
          }
        }
        what = String.format("salt and pepper %.3f", density);
      }
      case BLOCKY_NOISE -> {
        int k = new int[] {2, 3, 4, 5, 8, 11, 16}[r.nextInt(7)];
        double amp = 0.2 + 0.8 * r.nextDouble();
        float[] c = colour(r);
        float[][][] cells = new float[3][s / k + 1][s / k + 1];
        for (int ch = 0; ch < 3; ch++) {
          for (int y = 0; y <= s / k; y++) {
            for (int x = 0; x <= s / k; x++) {
              cells[ch][y][x] = (float) (c[ch] + amp * (r.nextDouble() - 0.5));
            }
          }
        }
        fill(im, (y, x, ch) -> cells[ch][y / k][x / k]);
        what = "blocky noise cell " + k;
      }
      case GRID_LINES -> {
        float[] bg = colour(r);
        float[] line = colour(r);
        int spacing = 3 + r.nextInt(14);
        int off = r.nextInt(spacing);
        fill(im, (y, x, ch) -> (x % spacing == off || y % spacing == off) ? line[ch] : bg[ch]);
        what = "grid spacing " + spacing;
      }
      default -> { // combinations of two of the kinds above
        Category a = Category.values()[r.nextInt(Category.values().length - 1)];
        Category b = Category.values()[r.nextInt(Category.values().length - 1)];
        Image ia = make(a, i, n, r, s);
        Image ib = make(b, i, n, r, s);
        boolean half = r.nextBoolean();
        fill(im, (y, x, ch) -> half ? (x < s / 2 ? ia.rgb()[ch][y][x] : ib.rgb()[ch][y][x])
            : 0.5f * (ia.rgb()[ch][y][x] + ib.rgb()[ch][y][x]));
        what = (half ? "halves " : "mix ") + ia.description() + " + " + ib.description();
      }
    }
    for (int ch = 0; ch < 3; ch++) {
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          im[ch][y][x] = Math.round(Math.max(0, Math.min(1, im[ch][y][x])) * 255) / 255f;
        }
      }
    }
    return new Image(cat, what, im);
  }

  private interface Pixel {
    float at(int y, int x, int ch);
  }

  private interface Region {
    boolean in(int y, int x);
  }

  private static void fill(float[][][] im, Pixel p) {
    int s = im[0].length;
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        for (int ch = 0; ch < 3; ch++) {
          im[ch][y][x] = p.at(y, x, ch);
        }
      }
    }
  }

  private static void paint(float[][][] im, Region reg, float[] c) {
    int s = im[0].length;
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        if (reg.in(y, x)) {
          for (int ch = 0; ch < 3; ch++) {
            im[ch][y][x] = c[ch];
          }
        }
      }
    }
  }
}
