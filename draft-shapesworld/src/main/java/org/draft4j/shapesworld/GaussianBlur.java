package org.draft4j.shapesworld;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A separable Gaussian blur of one {@code [C, H, W]} image: each channel is convolved along rows and
 * then columns with the kernel w(i) ∝ exp(−i² / 2σ²), |i| ≤ ⌈3σ⌉, normalized to sum 1, edge pixels
 * repeated beyond the border; the row pass is stored in float before the column pass. It blurs the
 * CLIP's training images ({@code pretrain-clip --blur-max}), so it fixes the shipped reward CLIP's
 * bits; the oracle's tests use it to soften renders as generated images are.
 */
public final class GaussianBlur {
  private GaussianBlur() {}

  /**
   * The normalized kernel w(i) = exp(−i² / 2σ²) / Σ_j exp(−j² / 2σ²), |i| ≤ ⌈3σ⌉, as
   * {@code w[i + ⌈3σ⌉]}; σ must be > 0.
   */
  static double[] kernel(double sigma) {
    int r = (int) Math.ceil(3 * sigma);
    double[] k = new double[2 * r + 1];
    double z = 0;
    for (int i = -r; i <= r; i++) {
      k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
      z += k[i + r];
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= z;
    }
    return k;
  }

  /** {@code image} blurred with standard deviation {@code sigma} px (a copy; σ below 0.05 returns a copy unchanged). */
  public static INDArray apply(INDArray image, double sigma) {
    checkArgument(image.rank() == 3, "image must be [C, H, W], got %s", java.util.Arrays.toString(image.shape()));
    checkArgument(sigma >= 0, "sigma = %s: must be >= 0", sigma);
    int c = (int) image.size(0);
    int h = (int) image.size(1);
    int w = (int) image.size(2);
    float[] v = image.dup('c').data().asFloat();
    if (sigma < 0.05) {
      return Nd4j.create(v, new long[] {c, h, w}, 'c');
    }
    double[] k = kernel(sigma);
    int r = k.length / 2;
    float[] t = new float[v.length];
    float[] o = new float[v.length];
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double a = 0;
          for (int i = -r; i <= r; i++) {
            a += k[i + r] * v[base + y * w + Math.min(w - 1, Math.max(0, x + i))];
          }
          t[base + y * w + x] = (float) a;
        }
      }
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double a = 0;
          for (int i = -r; i <= r; i++) {
            a += k[i + r] * t[base + Math.min(h - 1, Math.max(0, y + i)) * w + x];
          }
          o[base + y * w + x] = (float) a;
        }
      }
    }
    return Nd4j.create(o, new long[] {c, h, w}, 'c');
  }
}
