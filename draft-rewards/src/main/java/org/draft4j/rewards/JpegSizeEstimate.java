package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A differentiable estimate of the size in kilobytes of the baseline JPEG that libjpeg (the JDK's
 * ImageIO writer, with its defaults: standard tables and Huffman codes, 4:2:0 chroma) writes for an
 * image. It follows the encoder's stages: RGB·255 → YCbCr (JFIF, Y level-shifted by 128), edge
 * replication to multiples of 16, Cb and Cr averaged over 2×2 pixels, 8×8 blocks, 2-D DCT-II,
 * division by the standard tables scaled to the quality (IJG formula). Each quantized AC coefficient
 * q is non-zero after rounding with a smooth probability, and a rate model over the block counts
 * what the entropy coder spends:
 * <pre>
 *   p(q)   = (σ((|q| − ½)/T) − σ(−½/T)) / (1 − σ(−½/T))            (0 at q = 0, 1 for |q| ≫ ½)
 *   bits   = H + Σ_blocks e_c
 *          + Σ_AC [ m_c·p·log2(1 + |q|) + n_c·p + r_c·(1 − p)·(1 − Π_{later j}(1 − p_j)) ]
 *          + Σ_blocks d_c·log2(1 + |ΔDC|)
 * </pre>
 * — magnitude bits with the growth of the Huffman code for larger sizes (m), a cost per non-zero
 * coefficient (n), a cost per zero that is followed, in zig-zag order, by a non-zero one (r: the run
 * lengths; zeros after the last non-zero one are free, one end-of-block code), and the DC
 * difference from the previous block of the component (d). The per-block cost e (end-of-block plus a
 * zero DC difference: 6 bits for luma, 4 for chroma) and T are the standard codes' values; H, m, n,
 * r and d are {@link RateModel#IMAGEIO_FIT}. The product over later coefficients is one matrix
 * product of {@code log(1 − p)} with a constant triangular matrix, so the estimate stays cheap.
 * Image sides must be multiples of 8.
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
  /** Softness T of the rounding-to-zero step, in quantization steps. */
  static final double ROUNDING_SOFTNESS = 0.1;
  /** Bits per luma block for end-of-block (1010) and a zero DC difference (00), standard codes. */
  static final double LUMA_BLOCK_BITS = 6;
  /** Bits per chroma block for end-of-block (00) and a zero DC difference (00), standard codes. */
  static final double CHROMA_BLOCK_BITS = 4;

  /**
   * The fitted constants of the rate model, bits (luma, chroma): magnitude m, per non-zero n, per
   * run zero r, per DC difference doubling d; H the bytes of headers and tables.
   *
   * @param headerBytes H
   * @param lumaMagnitude m for Y
   * @param lumaNonzero n for Y
   * @param lumaRun r for Y
   * @param lumaDc d for Y
   * @param chromaMagnitude m for Cb and Cr
   * @param chromaNonzero n for Cb and Cr
   * @param chromaRun r for Cb and Cr
   * @param chromaDc d for Cb and Cr
   */
  public record RateModel(double headerBytes, double lumaMagnitude, double lumaNonzero, double lumaRun,
      double lumaDc, double chromaMagnitude, double chromaNonzero, double chromaRun, double chromaDc) {
    /**
     * Least squares of ImageIO's sizes (bits) at qualities 75 and 95 on 224 images of every kind of
     * {@code VariedImages} (seed 1 at 64×64, seed 3 at 32×32, seed 4 at 128×128), computed by
     * {@code JpegRateFit} in the examples' test sources, which prints these numbers; tests rank
     * images of another seed.
     */
    public static final RateModel IMAGEIO_FIT = new RateModel(605.56, 2.333, 0.111, 1.729, 0.720, 3.478, 0.0, 1.400,
        1.638);

    public RateModel {
      for (double v : new double[] {headerBytes, lumaMagnitude, lumaNonzero, lumaRun, lumaDc, chromaMagnitude,
          chromaNonzero, chromaRun, chromaDc}) {
        checkArgument(v >= 0 && Double.isFinite(v), "rate model constants must be finite and >= 0, got %s", v);
      }
    }
  }

  private final int quality;
  private final RateModel rate;

  /**
   * @param quality JPEG quality 1..100 (IJG scaling of the standard tables)
   * @param rate the rate model's constants
   */
  public JpegSizeEstimate(int quality, RateModel rate) {
    checkArgument(quality >= 1 && quality <= 100, "JPEG quality = %s must be in [1, 100]", quality);
    this.quality = quality;
    this.rate = java.util.Objects.requireNonNull(rate, "rate");
  }

  /** The estimate at {@code quality} with {@link RateModel#IMAGEIO_FIT}. */
  public static JpegSizeEstimate quality(int quality) {
    return new JpegSizeEstimate(quality, RateModel.IMAGEIO_FIT);
  }

  /** Quality 75 (libjpeg's default) with the fitted rate model. */
  public static JpegSizeEstimate quality75() {
    return quality(75);
  }

  public int quality() {
    return quality;
  }

  public RateModel rate() {
    return rate;
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

  /** Position of each natural-order coefficient (row·8 + column) in the zig-zag scan. */
  static int[] zigzagPosition() {
    int[] zz = new int[64];
    int i = 0;
    for (int s = 0; s < 15; s++) {
      for (int k = 0; k <= s; k++) {
        int row = (s % 2 == 0) ? s - k : k;
        int col = s - row;
        if (row < 8 && col < 8) {
          zz[row * 8 + col] = i++;
        }
      }
    }
    return zz;
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

  /** {@code [B,H,W,C]} padded to sides that are multiples of {@code m} by repeating the last row and column. */
  private static SDVariable replicateEdges(SameDiff sd, SDVariable x, long h, long w, int m) {
    long ph = (m - h % m) % m;
    long pw = (m - w % m) % m;
    if (ph > 0) {
      SDVariable last = x.get(SDIndex.all(), SDIndex.interval(h - 1, h), SDIndex.all(), SDIndex.all());
      SDVariable[] parts = new SDVariable[(int) ph + 1];
      parts[0] = x;
      java.util.Arrays.fill(parts, 1, parts.length, last);
      x = sd.concat(1, parts);
    }
    if (pw > 0) {
      SDVariable last = x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(w - 1, w), SDIndex.all());
      SDVariable[] parts = new SDVariable[(int) pw + 1];
      parts[0] = x;
      java.util.Arrays.fill(parts, 1, parts.length, last);
      x = sd.concat(2, parts);
    }
    return x;
  }

  /** 2-D DCT of the 8×8 blocks of {@code [B,h,w,c]}: {@code [B,c,blocks,64]}, blocks in raster order. */
  private static SDVariable blockDct(SameDiff sd, SDVariable plane, long h, long w, int c) {
    long bh = h / 8;
    long bw = w / 8;
    SDVariable blocks = plane.reshape(-1, bh, 8, bw, 8, c).permute(0, 5, 1, 3, 2, 4).reshape(-1, 8);
    SDVariable dct = sd.constant(dctMatrix());
    SDVariable y1 = sd.mmul(blocks, dct, false, true, false).reshape(-1, 8, 8).permute(0, 2, 1).reshape(-1, 8);
    SDVariable coef = sd.mmul(y1, dct, false, true, false).reshape(-1, 8, 8).permute(0, 2, 1); // D X Dᵀ
    return coef.reshape(-1, c, bh * bw, 64);
  }

  /** Estimated bits of one component group {@code [B,c,blocks,64]} of DCT coefficients: {@code [B]}. */
  private SDVariable componentBits(SameDiff sd, SDVariable coef, int c, long blocks, int[] table, double magnitude,
      double nonzero, double run, double dcBits, double blockBits) {
    double[] t = scaledTable(table, quality);
    float[] inv = new float[64];
    float[] ac = new float[64];
    for (int i = 0; i < 64; i++) {
      inv[i] = (float) (1 / t[i]);
      ac[i] = i == 0 ? 0f : 1f;
    }
    SDVariable q = coef.mul(sd.constant(Nd4j.create(inv, new long[] {1, 1, 1, 64}, 'c')));
    double eps = 1e-3;
    SDVariable absQ = sd.math.sqrt(q.mul(q).add(eps * eps)).sub(eps);
    double temp = ROUNDING_SOFTNESS;
    double z0 = -0.5 / temp;
    double s0 = 1 / (1 + Math.exp(-z0));
    double softplusZ0 = Math.log1p(Math.exp(z0));
    SDVariable z = absQ.sub(0.5).div(temp);
    SDVariable acMask = sd.constant(Nd4j.create(ac, new long[] {1, 1, 1, 64}, 'c'));
    SDVariable p = sd.nn.sigmoid(z).sub(s0).div(1 - s0).mul(acMask);
    // log(1 − p) = softplus(z0) − softplus(z), with softplus(z) = max(z, 0) + log(1 + e^−|z|) (ND4J's overflows)
    SDVariable softplusZ = sd.nn.relu(z, 0).add(sd.math.log(sd.math.exp(sd.math.abs(z).neg()).add(1.0)));
    SDVariable log1mp = softplusZ.rsub(softplusZ0).mul(acMask); // 0 on DC
    // Σ over coefficients later in the zig-zag scan: one product with a constant 0/1 matrix
    int[] zz = zigzagPosition();
    float[] later = new float[64 * 64];
    for (int j = 0; j < 64; j++) {
      for (int k = 0; k < 64; k++) {
        later[j * 64 + k] = zz[j] > zz[k] ? 1f : 0f;
      }
    }
    SDVariable logNoneLater = sd.mmul(log1mp.reshape(-1, 64), sd.constant(Nd4j.create(later, new long[] {64, 64}, 'c')))
        .reshape(-1, c, blocks, 64);
    SDVariable someLater = sd.math.exp(logNoneLater).rsub(1.0);
    SDVariable bits = p.mul(sd.math.log(absQ.add(1.0)).mul(magnitude / Math.log(2)).add(nonzero))
        .add(p.rsub(1.0).mul(acMask).mul(someLater).mul(run))
        .sum(1, 2, 3);
    // DC: the difference from the previous block of the component (the first from 0)
    SDVariable dc = q.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.point(0)); // [B,c,blocks]
    SDVariable prev = blocks == 1 ? dc.mul(0.0)
        : sd.concat(2, dc.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0L, 1L)).mul(0.0),
            dc.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0L, blocks - 1)));
    SDVariable diff = dc.sub(prev);
    SDVariable absDiff = sd.math.sqrt(diff.mul(diff).add(eps * eps)).sub(eps);
    SDVariable dcTotal = sd.math.log(absDiff.add(1.0)).mul(dcBits / Math.log(2)).sum(1, 2);
    return bits.add(dcTotal).add(blockBits * c * blocks);
  }

  /** Estimated size in KB of each image {@code [B,3,H,W]} in [0,1]; returns {@code [B]}. */
  public SDVariable kilobytes(RewardGraph g, SDVariable images) {
    long h = g.height();
    long w = g.width();
    checkArgument(h % 8 == 0 && w % 8 == 0, "JPEG size estimate needs image sides that are multiples of 8, got %sx%s",
        h, w);
    SameDiff sd = g.sd();
    // RGB in [0,255] -> YCbCr (JFIF), Y - 128: one 3x3 matrix over channels
    float[] m = {
      0.299f, 0.587f, 0.114f,
      -0.168736f, -0.331264f, 0.5f,
      0.5f, -0.418688f, -0.081312f};
    SDVariable rgb = images.mul(255.0).permute(0, 2, 3, 1).reshape(-1, 3);
    SDVariable ycc = sd.mmul(rgb, sd.constant(Nd4j.create(m, new long[] {3, 3}, 'c')), false, true, false);
    ycc = ycc.sub(sd.constant(Nd4j.create(new float[] {128f, 0f, 0f}, new long[] {1, 3}, 'c'))).reshape(-1, h, w, 3);
    ycc = replicateEdges(sd, ycc, h, w, 16); // libjpeg fills the last 16x16 MCU the same way
    long ph = (h + 15) / 16 * 16;
    long pw = (w + 15) / 16 * 16;
    SDVariable luma = ycc.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.interval(0, 1));
    SDVariable chroma = ycc.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.interval(1, 3))
        .reshape(-1, ph / 2, 2, pw / 2, 2, 2).mean(2, 4); // 4:2:0, [B, ph/2, pw/2, 2]
    long lumaBlocks = (ph / 8) * (pw / 8);
    long chromaBlocks = (ph / 16) * (pw / 16);
    RateModel r = rate;
    SDVariable bits = componentBits(sd, blockDct(sd, luma, ph, pw, 1), 1, lumaBlocks, LUMA, r.lumaMagnitude(),
        r.lumaNonzero(), r.lumaRun(), r.lumaDc(), LUMA_BLOCK_BITS)
        .add(componentBits(sd, blockDct(sd, chroma, ph / 2, pw / 2, 2), 2, chromaBlocks, CHROMA,
            r.chromaMagnitude(), r.chromaNonzero(), r.chromaRun(), r.chromaDc(), CHROMA_BLOCK_BITS));
    return bits.div(8.0).add(r.headerBytes()).div(1024.0);
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
