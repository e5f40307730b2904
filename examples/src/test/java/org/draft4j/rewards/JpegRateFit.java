package org.draft4j.rewards;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference computation behind {@link JpegSizeEstimate.RateModel#IMAGEIO_FIT}: the estimate's
 * rate model evaluated in plain Java (doubles, exact |q|) on {@link VariedImages} seed 1 (8 of each
 * kind, 64×64), seed 3 (8 of each, 32×32) and seed 4 (4 of each, 128×128), and the fitted constants
 * by least squares of ImageIO's sizes in bits at qualities 75 and 95 (one model for both), after
 * the fixed per-block bits of the standard codes. {@code main} prints them.
 */
final class JpegRateFit {
  private static final int[] ZIGZAG = JpegSizeEstimate.zigzagPosition();
  private static final double[][] DCT = new double[8][8];

  static {
    for (int k = 0; k < 8; k++) {
      double a = k == 0 ? Math.sqrt(1.0 / 8) : Math.sqrt(2.0 / 8);
      for (int n = 0; n < 8; n++) {
        DCT[k][n] = a * Math.cos((2 * n + 1) * k * Math.PI / 16);
      }
    }
  }

  private JpegRateFit() {}

  /**
   * The model's sums for one image: [H (1), luma magnitude, luma non-zero, luma run, luma DC,
   * chroma magnitude, chroma non-zero, chroma run, chroma DC], and the fixed per-block bits.
   * Sides must be multiples of 16.
   */
  static double[] features(float[][][] im, int quality) {
    int s = im[0].length;
    double[][][] ycc = new double[3][s][s];
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        double r = im[0][y][x] * 255;
        double g = im[1][y][x] * 255;
        double b = im[2][y][x] * 255;
        ycc[0][y][x] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
        ycc[1][y][x] = -0.168736 * r - 0.331264 * g + 0.5 * b;
        ycc[2][y][x] = 0.5 * r - 0.418688 * g - 0.081312 * b;
      }
    }
    double t = JpegSizeEstimate.ROUNDING_SOFTNESS;
    double z0 = -0.5 / t;
    double s0 = 1 / (1 + Math.exp(-z0));
    double[] f = new double[10];
    f[0] = 1;
    for (int c = 0; c < 3; c++) {
      double[][] pl = ycc[c];
      if (c > 0) {
        int h = s / 2;
        double[][] d = new double[h][h];
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < h; x++) {
            d[y][x] = 0.25 * (pl[2 * y][2 * x] + pl[2 * y + 1][2 * x] + pl[2 * y][2 * x + 1] + pl[2 * y + 1][2 * x + 1]);
          }
        }
        pl = d;
      }
      double[] tab = JpegSizeEstimate.scaledTable(c == 0 ? JpegSizeEstimate.LUMA : JpegSizeEstimate.CHROMA, quality);
      int n = pl.length / 8;
      int off = c == 0 ? 1 : 5;
      double prevDc = 0;
      for (int by = 0; by < n; by++) {
        for (int bx = 0; bx < n; bx++) {
          double[] q = new double[64];
          for (int u = 0; u < 8; u++) {
            for (int v = 0; v < 8; v++) {
              double acc = 0;
              for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                  acc += DCT[u][y] * DCT[v][x] * pl[by * 8 + y][bx * 8 + x];
                }
              }
              q[u * 8 + v] = acc / tab[u * 8 + v];
            }
          }
          f[off + 3] += log2(1 + Math.abs(q[0] - prevDc));
          prevDc = q[0];
          double[] p = new double[64];
          double[] log1mp = new double[64];
          for (int k = 1; k < 64; k++) {
            double z = (Math.abs(q[k]) - 0.5) / t;
            p[k] = (1 / (1 + Math.exp(-z)) - s0) / (1 - s0);
            log1mp[k] = softplus(z0) - softplus(z);
          }
          for (int k = 1; k < 64; k++) {
            f[off] += p[k] * log2(1 + Math.abs(q[k]));
            f[off + 1] += p[k];
            double later = 0;
            for (int j = 1; j < 64; j++) {
              if (ZIGZAG[j] > ZIGZAG[k]) {
                later += log1mp[j];
              }
            }
            f[off + 2] += (1 - p[k]) * (1 - Math.exp(later));
          }
          f[9] += c == 0 ? JpegSizeEstimate.LUMA_BLOCK_BITS : JpegSizeEstimate.CHROMA_BLOCK_BITS;
        }
      }
    }
    return f;
  }

  private static double softplus(double z) {
    return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }

  private static double log2(double v) {
    return Math.log(v) / Math.log(2);
  }

  /** The model's bits for features {@code f} and constants {@code w} ([H in bits, m, n, r, d luma, m, n, r, d chroma]). */
  static double bits(double[] f, double[] w) {
    double b = f[9];
    for (int k = 0; k < 9; k++) {
      b += w[k] * f[k];
    }
    return b;
  }

  /** The fit; chroma's per-non-zero constant is held at 0 (a free fit makes it negative, not monotone in |q|). */
  static JpegSizeEstimate.RateModel fit() throws Exception {
    List<VariedImages.Image> train = new ArrayList<>(VariedImages.generate(1, 8, 64));
    train.addAll(VariedImages.generate(3, 8, 32));
    train.addAll(VariedImages.generate(4, 4, 128));
    List<double[]> rows = new ArrayList<>();
    List<Double> target = new ArrayList<>();
    for (int quality : new int[] {75, 95}) {
      for (VariedImages.Image im : train) {
        double[] f = features(im.rgb(), quality);
        f[6] = 0;
        rows.add(f);
        target.add(8.0 * JpegSizeRankTest.jpegBytes(VariedImages.array(List.of(im)), 0, quality / 100f) - f[9]);
      }
    }
    double[] w = leastSquares(rows, target);
    return new JpegSizeEstimate.RateModel(w[0] / 8, w[1], w[2], w[3], w[4], w[5], 0.0, w[7], w[8]);
  }

  private static double[] leastSquares(List<double[]> rows, List<Double> y) {
    int p = 9;
    double[][] a = new double[p][p + 1];
    for (int i = 0; i < rows.size(); i++) {
      double[] x = rows.get(i);
      for (int r = 0; r < p; r++) {
        for (int c = 0; c < p; c++) {
          a[r][c] += x[r] * x[c];
        }
        a[r][p] += x[r] * y.get(i);
      }
    }
    for (int r = 0; r < p; r++) {
      a[r][r] += 1e-6; // the held column (chroma non-zero) is all zeros
    }
    for (int c = 0; c < p; c++) {
      int piv = c;
      for (int r = c + 1; r < p; r++) {
        if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) {
          piv = r;
        }
      }
      double[] tmp = a[c];
      a[c] = a[piv];
      a[piv] = tmp;
      for (int r = 0; r < p; r++) {
        if (r != c) {
          double m = a[r][c] / a[c][c];
          for (int k = c; k <= p; k++) {
            a[r][k] -= m * a[c][k];
          }
        }
      }
    }
    double[] w = new double[p];
    for (int r = 0; r < p; r++) {
      w[r] = a[r][p] / a[r][r];
    }
    return w;
  }

  public static void main(String[] args) throws Exception {
    System.out.println(fit());
  }
}
