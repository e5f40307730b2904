package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * CLIP's image preprocessing, differentiable: resize, fit to {@code size × size}, then normalize with
 * OpenAI CLIP's mean and std, {@code (x − μ_c) / σ_c}. Resizing and fitting are written as
 * <pre>
 *   Y_c = M_h · X_c · M_wᵀ,    M_h ∈ ℝ^{size × H},  M_w ∈ ℝ^{size × W}
 * </pre>
 * with fixed matrices (interpolation rows, cropped or padded with zero rows), so the gradient
 * {@code ∂L/∂X_c = M_hᵀ · ∂L/∂Y_c · M_w} is exact and cheap. Three resizes ({@link Interpolation}):
 * <ul>
 *   <li>{@link Interpolation#BICUBIC_ANTIALIAS}: PIL's {@code Image.resize(BICUBIC)}, which is also
 *       PyTorch's {@code F.interpolate(mode="bicubic", antialias=True, align_corners=False)}: the
 *       cubic kernel stretched by the downscale factor and renormalized per output pixel (see
 *       {@link #antialiasMatrix}). Hugging Face's {@code CLIPImageProcessor} (PickScore), OpenAI CLIP's
 *       {@code clip.load} transform (LAION's aesthetic predictor) and open_clip's transforms resize PIL
 *       images with it; torchvision ≥ 0.17 resizes tensors with it (HPSv2's {@code ResizeMaxSize} runs
 *       on the tensor).
 *   <li>{@link Interpolation#BICUBIC} and {@link Interpolation#BILINEAR}: PyTorch's
 *       {@code F.interpolate} without antialias (torchvision &lt; 0.17 on tensors): a fixed 4- or 2-tap
 *       kernel whatever the scale, so a downscale by {@code s} samples the input every {@code s}
 *       pixels without low-pass filtering it first, and detail finer than {@code 2s} pixels aliases.
 * </ul>
 * Three fits ({@link Fit}):
 * <ul>
 *   <li>{@link Fit#CROP}: the shorter side to {@code size}, the longer to {@code int(size · long / short)},
 *       then a centre crop at offset {@code ⌊(r − size) / 2⌋}: Hugging Face's {@code CLIPImageProcessor}
 *       (PickScore, CLIP);
 *   <li>{@link Fit#CROP_TORCHVISION}: the same sizes, crop offset {@code int(round((r − size) / 2))}
 *       (half to even), as torchvision's {@code CenterCrop} after {@code Resize(size)}: OpenAI CLIP's and
 *       open_clip's transforms; it differs from {@link Fit#CROP} by one pixel when {@code r − size ≡ 3 (mod 4)};
 *   <li>{@link Fit#PAD}: the longer side to {@code size}, each side to {@code round(d · size / max(h, w))}
 *       (half to even), then zero padding (black, before normalization), {@code ⌊p/2⌋} before and the
 *       rest after: HPSv2's {@code ResizeMaxSize}, which {@code hpsv2/img_score.py}'s eval transform uses.
 * </ul>
 * All fits equal a plain resize for square images, and every resize is the identity at the same size.
 * The reference pipelines quantize to uint8 (PIL images; {@code CLIPImageProcessor} converts a float
 * image to uint8 before PIL); this keeps float32, as PIL's mode {@code "F"}.
 *
 * <p>Measured against the libraries (interop/fixtures/resize, {@code make_resize_cases.py}: PIL 9.4
 * mode {@code "F"} and PyTorch 1.13 on noise with hard edges, 512² → 224², 256² → 224², 64² → 224²,
 * 512×384 → 298×224 / 224×168, 200×300 → 51×77; values in [0, 1]): {@link Interpolation#BICUBIC_ANTIALIAS}
 * is within 2.4e-7 of PIL and 1.5e-5 of PyTorch's antialiased bicubic (which computes its weights in
 * float), {@link Interpolation#BICUBIC} within 2.9e-5 of PyTorch's plain one (float source coordinates).
 * On HPSv2's own transform (interop/fixtures/open_clip, normalized units), {@link #hpsV2} matches its
 * antialiased output ({@code pixel_values_antialias}) within 5.4e-6, {@link #openAi} torchvision's
 * {@code Resize} + {@code CenterCrop} within 8.5e-6, and {@link Fit#PAD} with {@link Interpolation#BICUBIC}
 * its output under torchvision 0.14 ({@code pixel_values}) within 5.8e-6. At 512² → 224² the plain
 * bicubic differs from the antialiased one by up to 2.0 (normalized) on noise, and weights the input
 * pixels unevenly (column sums of its matrix from −0.145 to 0.989, against 0.4375 ± 0.001), a fixed
 * period-16 pattern that a reward's gradient carries.
 */
public final class ClipPreprocess {
  /** CLIP's normalization mean (RGB). */
  public static final double[] MEAN = {0.48145466, 0.4578275, 0.40821073};
  /** CLIP's normalization std (RGB). */
  public static final double[] STD = {0.26862954, 0.26130258, 0.27577711};

  /** Interpolation kernels. */
  public enum Interpolation {
    /** PyTorch's bilinear, {@code align_corners=False}, no antialias. */
    BILINEAR,
    /** PyTorch's bicubic ({@code a = −0.75}), {@code align_corners=False}, no antialias, borders replicated. */
    BICUBIC,
    /**
     * Antialiased bicubic ({@code a = −0.5}, support {@code 2·max(1, in/out)}, weights normalized per
     * output pixel, no pixels outside the image): PIL's {@code Image.resize(BICUBIC)} and PyTorch's
     * {@code F.interpolate(mode="bicubic", antialias=True)}, which use the same kernel.
     */
    BICUBIC_ANTIALIAS
  }

  /** How a non-square image is brought to a square. */
  public enum Fit {
    /** Shorter side to the size, centre crop at {@code ⌊(r − size)/2⌋} (Hugging Face's CLIPImageProcessor). */
    CROP,
    /**
     * Shorter side to the size, centre crop at {@code int(round((r − size)/2))}, half to even
     * (torchvision's {@code CenterCrop}: OpenAI CLIP's and open_clip's transforms).
     */
    CROP_TORCHVISION,
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
    checkArgument(interpolation != null, "interpolation must not be null");
    checkArgument(fit != null, "fit must not be null");
    this.size = size;
    this.interpolation = interpolation;
    this.fit = fit;
  }

  /**
   * Hugging Face's {@code CLIPImageProcessor} (PickScore_v1's processor, any transformers CLIP):
   * shortest edge to {@code size} with PIL's bicubic, centre crop ({@link Fit#CROP}).
   */
  public static ClipPreprocess huggingFace(int size) {
    return new ClipPreprocess(size, Interpolation.BICUBIC_ANTIALIAS, Fit.CROP);
  }

  /**
   * OpenAI CLIP's {@code clip.load} transform and open_clip's ({@code Resize(size, BICUBIC)},
   * {@code CenterCrop(size)} on PIL images): PIL's bicubic, torchvision's crop ({@link Fit#CROP_TORCHVISION}).
   */
  public static ClipPreprocess openAi(int size) {
    return new ClipPreprocess(size, Interpolation.BICUBIC_ANTIALIAS, Fit.CROP_TORCHVISION);
  }

  /**
   * HPSv2's eval transform ({@code ResizeMaxSize} on the tensor) as torchvision ≥ 0.17 runs it:
   * antialiased bicubic, zero padding ({@link Fit#PAD}). Under torchvision &lt; 0.17 the same code did
   * not antialias: {@code new ClipPreprocess(size, Interpolation.BICUBIC, Fit.PAD)}.
   */
  public static ClipPreprocess hpsV2(int size) {
    return new ClipPreprocess(size, Interpolation.BICUBIC_ANTIALIAS, Fit.PAD);
  }

  public int size() {
    return size;
  }

  public Interpolation interpolation() {
    return interpolation;
  }

  /**
   * Row i of the {@code [out, in]} matrix holds the weights of input pixels for output pixel i:
   * source coordinate {@code (i + 0.5)·in/out − 0.5}, borders clamped (replicate), as PyTorch.
   */
  static INDArray resizeMatrix(int in, int out, Interpolation kind) {
    checkArgument(in >= 1 && out >= 1, "cannot resize %s pixels to %s", in, out);
    if (kind == Interpolation.BICUBIC_ANTIALIAS) {
      return antialiasMatrix(in, out, -0.5);
    }
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

  /**
   * The {@code [out, in]} matrix of an antialiased resize, as PIL's {@code precompute_coeffs}
   * (Resample.c) and PyTorch's {@code _compute_indices_weights_aa} compute it: with scale
   * {@code s = in/out} and filter scale {@code f = max(s, 1)}, output pixel {@code i} has centre
   * {@code c_i = (i + ½)·s} and reads the input pixels {@code j ∈ [⌊c_i − 2f + ½⌋, ⌊c_i + 2f + ½⌋) ∩ [0, in)}
   * (truncation toward zero, as C's cast) with weights
   * <pre>
   *   w_ij = k_a((j − c_i + ½) / f) / Σ_j' k_a((j' − c_i + ½) / f)
   * </pre>
   * {@code k_a} Keys' cubic ({@link #keys}). Downscaling ({@code f = s > 1}) widens the kernel to
   * {@code 4s} taps, a low-pass filter at the output's Nyquist rate; upscaling ({@code f = 1}) is plain
   * bicubic with the pixels outside the image left out and the rest renormalized (not replicated).
   * Weights are computed in double and stored as float.
   */
  static INDArray antialiasMatrix(int in, int out, double a) {
    checkArgument(in >= 1 && out >= 1, "cannot resize %s pixels to %s", in, out);
    float[] m = new float[out * in];
    double scale = (double) in / out;
    double f = Math.max(scale, 1);
    double support = 2 * f;
    double[] w = new double[(int) Math.ceil(support) * 2 + 2];
    for (int i = 0; i < out; i++) {
      double c = (i + 0.5) * scale;
      int lo = Math.max((int) (c - support + 0.5), 0);
      int hi = Math.min((int) (c + support + 0.5), in);
      double sum = 0;
      for (int j = lo; j < hi; j++) {
        w[j - lo] = keys((j - c + 0.5) / f, a);
        sum += w[j - lo];
      }
      checkArgument(sum != 0, "antialiased resize %s -> %s: output pixel %s has no weight", in, out, i);
      for (int j = lo; j < hi; j++) {
        m[i * in + j] = (float) (w[j - lo] / sum);
      }
    }
    return Nd4j.create(m, new long[] {out, in}, 'c');
  }

  /** Keys' cubic convolution kernel with a = −0.75 (PyTorch's bicubic). */
  static double cubic(double x) {
    return keys(x, -0.75);
  }

  /**
   * Keys' cubic convolution kernel, support [−2, 2]:
   * {@code k(x) = (a+2)|x|³ − (a+3)|x|² + 1} for {@code |x| ≤ 1},
   * {@code a|x|³ − 5a|x|² + 8a|x| − 4a} for {@code 1 < |x| < 2}, 0 beyond
   * (a = −0.75: PyTorch's bicubic; a = −0.5: PIL's, and PyTorch's antialiased one).
   */
  static double keys(double x, double a) {
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
   * {@code [off, off + size)} ({@link Fit#CROP}: {@code off = ⌊(r − size)/2⌋}; {@link Fit#CROP_TORCHVISION}:
   * {@code round((r − size)/2)}, half to even) or put {@code ⌊(size − r)/2⌋} zero rows before them
   * ({@link Fit#PAD}).
   */
  INDArray axisMatrix(int in, int r) {
    INDArray m = resizeMatrix(in, r, interpolation);
    INDArray out = Nd4j.zeros(DataType.FLOAT, size, in);
    if (r >= size) {
      int off = fit == Fit.CROP_TORCHVISION ? (int) Math.rint((r - size) / 2.0) : (r - size) / 2;
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
