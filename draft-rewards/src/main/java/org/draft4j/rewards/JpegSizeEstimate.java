package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A differentiable estimate of a baseline JPEG's file size in kilobytes, following the encoder's
 * stages: RGB·255 → YCbCr (JFIF, level-shifted by 128), 8×8 blocks, 2-D DCT-II, division by the
 * standard luminance/chrominance quantization tables scaled to the chosen quality (IJG formula), then
 * a smooth rate model per quantized coefficient q:
 * <pre>
 *   bits(q) = a·log2(1 + |q|_s) + b·q²/(q² + τ²),   |q|_s = √(q² + ε²) − ε
 * </pre>
 * — the magnitude-category bits of the entropy coder plus a soft count of non-zero coefficients (the
 * Huffman run/size code), so rounding to zero is approximated smoothly. The result is
 * {@code (header + Σ bits/8) / 1024}. Image sides must be multiples of 8.
 */
public final class JpegSizeEstimate {
  /** Standard JPEG luminance table (ITU T.81 Annex K.1). */
  static final int[] LUMA = {
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
  /** Standard JPEG chrominance table (ITU T.81 Annex K.1). */
  static final int[] CHROMA = {
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

  private final int quality;
  private final double magnitudeBits;
  private final double nonzeroBits;
  private final double headerBytes;

  /**
   * @param quality JPEG quality 1..100 (IJG scaling of the standard tables)
   * @param magnitudeBits a: bits per doubling of a coefficient's magnitude
   * @param nonzeroBits b: bits per non-zero coefficient (entropy code of run/size)
   * @param headerBytes fixed bytes of headers and tables
   */
  public JpegSizeEstimate(int quality, double magnitudeBits, double nonzeroBits, double headerBytes) {
    checkArgument(quality >= 1 && quality <= 100, "JPEG quality = %s must be in [1, 100]", quality);
    checkArgument(magnitudeBits >= 0 && nonzeroBits >= 0 && headerBytes >= 0,
        "rate model constants must be >= 0 (got a=%s, b=%s, header=%s)", magnitudeBits, nonzeroBits, headerBytes);
    this.quality = quality;
    this.magnitudeBits = magnitudeBits;
    this.nonzeroBits = nonzeroBits;
    this.headerBytes = headerBytes;
  }

  /** Quality 75 (libjpeg's default) with the default rate constants. */
  public static JpegSizeEstimate quality75() {
    return new JpegSizeEstimate(75, 1.0, 4.0, 600);
  }

  public int quality() {
    return quality;
  }

  /** The IJG quality-scaled table: {@code clamp(floor((T·s + 50)/100), 1, 255)}, s = 5000/q or 200 − 2q. */
  static double[] scaledTable(int[] base, int quality) {
    int s = quality < 50 ? 5000 / quality : 200 - 2 * quality;
    double[] t = new double[64];
    for (int i = 0; i < 64; i++) {
      t[i] = Math.max(1, Math.min(255, (base[i] * s + 50) / 100));
    }
    return t;
  }

  /** The orthonormal 8-point DCT-II matrix D, so that {@code D·X·Dᵀ} is the 2-D DCT of a block. */
  static INDArray dctMatrix() {
    float[] d = new float[64];
    for (int k = 0; k < 8; k++) {
      double a = k == 0 ? Math.sqrt(1.0 / 8) : Math.sqrt(2.0 / 8);
      for (int n = 0; n < 8; n++) {
        d[k * 8 + n] = (float) (a * Math.cos((2 * n + 1) * k * Math.PI / 16));
      }
    }
    return Nd4j.create(d, new long[] {8, 8}, 'c');
  }

  /** Estimated size in KB of each image {@code [B,3,H,W]} in [0,1]; returns {@code [B]}. */
  public SDVariable kilobytes(RewardGraph g, SDVariable images) {
    long h = g.height();
    long w = g.width();
    checkArgument(h % 8 == 0 && w % 8 == 0, "JPEG size estimate needs image sides that are multiples of 8, got %sx%s",
        h, w);
    SameDiff sd = g.sd();
    // RGB in [0,255] -> YCbCr - 128 (JFIF): one 3x3 matrix over channels
    float[] m = {
      0.299f, 0.587f, 0.114f,
      -0.168736f, -0.331264f, 0.5f,
      0.5f, -0.418688f, -0.081312f};
    SDVariable rgb = images.mul(255.0).permute(0, 2, 3, 1).reshape(-1, 3);
    SDVariable ycc = sd.mmul(rgb, sd.constant(Nd4j.create(m, new long[] {3, 3}, 'c')), false, true, false);
    ycc = ycc.sub(sd.constant(Nd4j.create(new float[] {128f, 0f, 0f}, new long[] {1, 3}, 'c')));
    long bh = h / 8;
    long bw = w / 8;
    // [B,H,W,3] -> blocks [B,3,bh,bw,8,8]
    SDVariable blocks = ycc.reshape(-1, bh, 8, bw, 8, 3).permute(0, 5, 1, 3, 2, 4).reshape(-1, 8);
    SDVariable dct = sd.constant(dctMatrix());
    SDVariable y1 = sd.mmul(blocks, dct, false, true, false).reshape(-1, 8, 8).permute(0, 2, 1).reshape(-1, 8);
    SDVariable coef = sd.mmul(y1, dct, false, true, false).reshape(-1, 8, 8).permute(0, 2, 1); // D X Dᵀ
    coef = coef.reshape(-1, 3, bh * bw, 64);
    double[] lq = scaledTable(LUMA, quality);
    double[] cq = scaledTable(CHROMA, quality);
    float[] inv = new float[3 * 64];
    for (int i = 0; i < 64; i++) {
      inv[i] = (float) (1 / lq[i]);
      inv[64 + i] = (float) (1 / cq[i]);
      inv[128 + i] = (float) (1 / cq[i]);
    }
    SDVariable q = coef.mul(sd.constant(Nd4j.create(inv, new long[] {1, 3, 1, 64}, 'c')));
    double eps = 1e-3;
    double tau2 = 0.25;
    SDVariable q2 = q.mul(q);
    SDVariable mag = sd.math.sqrt(q2.add(eps * eps)).sub(eps);
    SDVariable magBits = sd.math.log(mag.add(1.0)).mul(magnitudeBits / Math.log(2));
    SDVariable nz = q2.div(q2.add(tau2)).mul(nonzeroBits);
    SDVariable bits = magBits.add(nz).sum(1, 2, 3);
    return bits.div(8.0).add(headerBytes).div(1024.0);
  }

  /** Compressibility reward: {@code −KB} (smaller files score higher). */
  public Reward asCompressibility() {
    return new Reward() {
      @Override
      public SDVariable score(RewardGraph g, SDVariable images) {
        return kilobytes(g, images).neg();
      }

      @Override
      public String name() {
        return "compressibility";
      }
    };
  }

  /** Incompressibility reward: {@code +KB}. */
  public Reward asIncompressibility() {
    return new Reward() {
      @Override
      public SDVariable score(RewardGraph g, SDVariable images) {
        return kilobytes(g, images);
      }

      @Override
      public String name() {
        return "incompressibility";
      }
    };
  }
}
