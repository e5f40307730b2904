package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CLIP's image preprocessing, differentiable: resize the shorter side to {@code size} (bilinear or
 * bicubic, PyTorch {@code F.interpolate} semantics with {@code align_corners=False}, no antialias),
 * centre-crop {@code size × size}, then normalize with CLIP's mean and std. Resizing is written as
 * {@code R_h · X · R_wᵀ} with fixed interpolation matrices, so its gradient is exact and cheap.
 */
public final class ClipPreprocess {
  /** CLIP's normalization mean (RGB). */
  public static final double[] MEAN = {0.48145466, 0.4578275, 0.40821073};
  /** CLIP's normalization std (RGB). */
  public static final double[] STD = {0.26862954, 0.26130258, 0.27577711};

  /** Interpolation kernels. */
  public enum Interpolation { BILINEAR, BICUBIC }

  private final int size;
  private final Interpolation interpolation;

  public ClipPreprocess(int size, Interpolation interpolation) {
    checkArgument(size >= 1, "CLIP input size %s must be >= 1", size);
    this.size = size;
    this.interpolation = interpolation;
  }

  public int size() {
    return size;
  }

  /**
   * Row i of the {@code [out, in]} matrix holds the weights of input pixels for output pixel i:
   * source coordinate {@code (i + 0.5)·in/out − 0.5}, borders clamped (replicate), as PyTorch.
   */
  static INDArray resizeMatrix(int in, int out, Interpolation kind) {
    float[] m = new float[out * in];
    double scale = (double) in / out;
    for (int i = 0; i < out; i++) {
      double src = (i + 0.5) * scale - 0.5;
      if (kind == Interpolation.BILINEAR) {
        src = Math.max(src, 0);
        int i0 = (int) Math.floor(src);
        int i1 = Math.min(i0 + 1, in - 1);
        double f = src - i0;
        m[i * in + Math.min(i0, in - 1)] += (float) (1 - f);
        m[i * in + i1] += (float) f;
      } else {
        int i0 = (int) Math.floor(src);
        double t = src - i0;
        for (int k = -1; k <= 2; k++) {
          int idx = Math.min(Math.max(i0 + k, 0), in - 1);
          m[i * in + idx] += (float) cubic(k - t);
        }
      }
    }
    return Nd4j.create(m, new long[] {out, in}, 'c');
  }

  /** Keys' cubic convolution kernel with a = −0.75 (PyTorch's bicubic). */
  static double cubic(double x) {
    double a = -0.75;
    x = Math.abs(x);
    if (x <= 1) {
      return ((a + 2) * x - (a + 3)) * x * x + 1;
    }
    if (x < 2) {
      return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }
    return 0;
  }

  /** {@code images [B,3,H,W]} in [0,1] → normalized {@code [B,3,size,size]}. */
  public SDVariable apply(SameDiff sd, SDVariable images, long h, long w) {
    long rh;
    long rw;
    if (h <= w) {
      rh = size;
      rw = Math.max(size, Math.round((double) w * size / h));
    } else {
      rw = size;
      rh = Math.max(size, Math.round((double) h * size / w));
    }
    SDVariable x = images;
    if (rh != h || rw != w) {
      SDVariable mh = sd.constant(resizeMatrix((int) h, (int) rh, interpolation));
      SDVariable mw = sd.constant(resizeMatrix((int) w, (int) rw, interpolation));
      // rows: [B*3*H, W] · Mwᵀ -> [B*3*H, rw]; then columns via a transpose
      SDVariable y = sd.mmul(x.reshape(-1, w), mw, false, true, false).reshape(-1, 3, h, rw);
      y = y.permute(0, 1, 3, 2).reshape(-1, h);
      y = sd.mmul(y, mh, false, true, false).reshape(-1, 3, rw, rh).permute(0, 1, 3, 2);
      x = y;
    }
    long top = (rh - size) / 2;
    long left = (rw - size) / 2;
    if (rh != size || rw != size) {
      x = x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(top, top + size), SDIndex.interval(left, left + size));
    }
    float[] mean = new float[3];
    float[] inv = new float[3];
    for (int c = 0; c < 3; c++) {
      mean[c] = (float) MEAN[c];
      inv[c] = (float) (1 / STD[c]);
    }
    return x.sub(sd.constant(Nd4j.create(mean, new long[] {1, 3, 1, 1}, 'c')))
        .mul(sd.constant(Nd4j.create(inv, new long[] {1, 3, 1, 1}, 'c')));
  }
}
