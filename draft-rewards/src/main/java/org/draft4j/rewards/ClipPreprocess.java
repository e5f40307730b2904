package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * CLIP's image preprocessing, differentiable: resize (bilinear or bicubic, PyTorch
 * {@code F.interpolate} semantics with {@code align_corners=False}, no antialias) and fit to
 * {@code size × size}, then normalize with OpenAI CLIP's mean and std. Two fits:
 * <ul>
 *   <li>{@link Fit#CROP}: the shorter side to {@code size}, the longer to {@code int(size · long / short)},
 *       then a centre crop at offset {@code ⌊(r − size) / 2⌋}: Hugging Face's {@code CLIPImageProcessor}
 *       (PickScore, CLIP); open_clip's {@code Resize} + {@code CenterCrop} is the same but rounds an
 *       odd margin's offset half to even ({@code int(round(d / 2))});
 *   <li>{@link Fit#PAD}: the longer side to {@code size}, each side to {@code round(d · size / max(h, w))}
 *       (half to even), then zero padding (black, before normalization), {@code ⌊p/2⌋} before and the
 *       rest after: HPSv2's {@code ResizeMaxSize}, which {@code hpsv2/img_score.py}'s eval transform uses.
 * </ul>
 * Both equal a plain resize for square images. Resizing and fitting are written as
 * {@code M_h · X · M_wᵀ} with fixed {@code [size, in]} matrices (interpolation rows, cropped or
 * padded with zero rows), so the gradient is exact and cheap.
 *
 * <p>Reference pipelines that resize with antialiasing (PIL images, as OpenAI's and LAION's
 * transforms; tensors in torchvision ≥ 0.17) differ from this when downscaling. Measured on
 * interop/fixtures/open_clip (uniform noise, 48×40 to 32, the worst case for aliasing): {@link Fit#PAD}
 * equals HPSv2's transform under torchvision 0.14 ({@code pixel_values}) within 5.8e-6; the same
 * transform with antialiasing ({@code pixel_values_antialias}) differs by up to 1.48 in normalized
 * units and moves that fixture's HPS scores from 0.2555 / −0.0812 to 0.2925 / −0.1118.
 */
public final class ClipPreprocess {
  /** CLIP's normalization mean (RGB). */
  public static final double[] MEAN = {0.48145466, 0.4578275, 0.40821073};
  /** CLIP's normalization std (RGB). */
  public static final double[] STD = {0.26862954, 0.26130258, 0.27577711};

  /** Interpolation kernels. */
  public enum Interpolation { BILINEAR, BICUBIC }

  /** How a non-square image is brought to a square. */
  public enum Fit {
    /** Shorter side to the size, centre crop (CLIP, PickScore). */
    CROP,
    /** Longer side to the size, zero padding (HPSv2's {@code ResizeMaxSize}). */
    PAD
  }

  private final int size;
  private final Interpolation interpolation;
  private final Fit fit;

  /** A {@link Fit#CROP} preprocessing. */
  public ClipPreprocess(int size, Interpolation interpolation) {
    this(size, interpolation, Fit.CROP);
  }

  public ClipPreprocess(int size, Interpolation interpolation, Fit fit) {
    checkArgument(size >= 1, "CLIP input size %s must be >= 1", size);
    this.size = size;
    this.interpolation = interpolation;
    this.fit = fit;
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

  public Fit fit() {
    return fit;
  }

  /** The resized size {@code [rh, rw]} of an {@code h × w} image, before cropping or padding. */
  long[] resized(long h, long w) {
    if (fit == Fit.PAD) {
      double scale = (double) size / Math.max(h, w); // ResizeMaxSize: round(dim * scale)
      return new long[] {(long) Math.rint(h * scale), (long) Math.rint(w * scale)};
    }
    // int(size * long / short), as torchvision's and transformers' shortest-edge resize
    return h <= w ? new long[] {size, (long) ((double) size * w / h)} : new long[] {(long) ((double) size * h / w), size};
  }

  /**
   * The {@code [size, in]} matrix of one axis: resize to {@code r} rows, then keep rows
   * {@code [(r − size)/2, …)} ({@link Fit#CROP}) or put {@code ⌊(size − r)/2⌋} zero rows before them
   * ({@link Fit#PAD}).
   */
  INDArray axisMatrix(int in, int r) {
    INDArray m = resizeMatrix(in, r, interpolation);
    INDArray out = Nd4j.zeros(DataType.FLOAT, size, in);
    if (r >= size) {
      int off = (r - size) / 2;
      out.assign(m.get(NDArrayIndex.interval(off, off + size), NDArrayIndex.all()));
    } else {
      int off = (size - r) / 2;
      out.get(NDArrayIndex.interval(off, off + r), NDArrayIndex.all()).assign(m);
    }
    return out;
  }

  /** {@code images [B,3,H,W]} in [0,1] → normalized {@code [B,3,size,size]}. */
  public SDVariable apply(SameDiff sd, SDVariable images, long h, long w) {
    long[] r = resized(h, w);
    checkArgument(r[0] >= 1 && r[1] >= 1, "an image of %s×%s cannot be resized to %s (to %s×%s)", h, w, size, r[0],
        r[1]);
    SDVariable x = images;
    if (h != size || w != size) {
      SDVariable mh = sd.constant(axisMatrix((int) h, (int) r[0]));
      SDVariable mw = sd.constant(axisMatrix((int) w, (int) r[1]));
      // rows: [B*3*H, W] · Mwᵀ -> [B*3*H, size]; then columns via a transpose
      SDVariable y = sd.mmul(x.reshape(-1, w), mw, false, true, false).reshape(-1, 3, h, size);
      y = y.permute(0, 1, 3, 2).reshape(-1, h);
      x = sd.mmul(y, mh, false, true, false).reshape(-1, 3, size, size).permute(0, 1, 3, 2);
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
