package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link ClipPreprocess}'s resizes against PIL's {@code Image.resize(BICUBIC)} (mode "F") and PyTorch's
 * {@code F.interpolate(mode="bicubic", antialias=True / False)} on the images of
 * interop/make_resize_cases.py (interop/fixtures/resize), and its gradient.
 */
class ClipPreprocessTest {
  /**
   * Bound on |draft4j − reference| for values in [0, 1]: the references compute weights in double
   * (PIL) or float (PyTorch) and keep a float32 intermediate after the horizontal pass; draft4j
   * rounds its weights to float and sums in float. Each pass is a sum of ≤ 4·s + 2 terms with
   * Σ|w| ≤ 1.2 (the a = −0.5 kernel's absolute mass, 1.15 at worst, renormalized) — at s = 512/224 about
   * 11 terms, so ≤ 2·(11 + 2)·ε·1.2 per implementation per pass, two passes, two implementations:
   * ≈ 4e-6. 2e-5 leaves room for the float weights of torch; 1e-3 is what the task asked.
   */
  static final double TOLERANCE = 2e-5;

  /**
   * The same for PyTorch's plain bicubic, which computes each source coordinate {@code (i + ½)·s − ½}
   * in float32: off by up to {@code in·ε ≈ 3e-5} pixels at 512, which moves the 4 weights by up to
   * that times the kernel's slope (Σ|k'| ≤ 2) per pass: ≈ 1.2e-4 over two passes at worst.
   */
  static final double TOLERANCE_PLAIN_TORCH = 1.5e-4;

  /** Case inputs: the generator's formula, {@code (hash16(c, i, j, seed)/65536 + stripe(i, j)) / 2}. */
  static float[][] image(int c, int h, int w, long seed) {
    float[][] x = new float[h][w];
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < w; j++) {
        long m = 0xFFFFFFFFL;
        long v = (i * 73856093L + j * 19349663L + c * 83492791L + seed * 2654435761L) & m;
        v ^= v >>> 13;
        v = (v * 0x5BD1E995L) & m;
        v ^= v >>> 15;
        double hash = (v >>> 16) / 65536.0;
        int stripe = (i / 3 + j / 5) % 2;
        x[i][j] = (float) ((hash + stripe) / 2);
      }
    }
    return x;
  }

  static SafetensorsFile fixture() {
    return SafetensorsFile.open(InteropFixtures.require("resize/reference.safetensors"));
  }

  @Test
  void resizesAsPilAndPyTorch() {
    try (SafetensorsFile f = fixture()) {
      Map<String, Object> cases = Json.parseObject(f.metadata().get("cases"));
      int checked = 0;
      StringBuilder report = new StringBuilder();
      for (Map.Entry<String, Object> e : cases.entrySet()) {
        String[] c = ((String) e.getValue()).split(" ");
        if (c[0].equals("pipeline")) {
          continue;
        }
        int h = Integer.parseInt(c[1]);
        int w = Integer.parseInt(c[2]);
        int oh = Integer.parseInt(c[3]);
        int ow = Integer.parseInt(c[4]);
        ClipPreprocess.Interpolation kind = c[0].equals("torch") ? ClipPreprocess.Interpolation.BICUBIC
            : ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS;
        INDArray x = Nd4j.createFromArray(image(0, h, w, Long.parseLong(c[5])));
        INDArray y = ClipPreprocess.resizeMatrix(h, oh, kind).mmul(x)
            .mmul(ClipPreprocess.resizeMatrix(w, ow, kind).transpose());
        int[] rows = f.get(e.getKey() + "/rows").toIntVector();
        int[] cols = f.get(e.getKey() + "/cols").toIntVector();
        INDArray want = f.get(e.getKey() + "/out", DataType.DOUBLE);
        double diff = 0;
        for (int r = 0; r < rows.length; r++) {
          for (int q = 0; q < cols.length; q++) {
            diff = Math.max(diff, Math.abs(y.getDouble(rows[r], cols[q]) - want.getDouble(r, q)));
          }
        }
        report.append(String.format(" %s %.2e;", e.getKey(), diff));
        double tol = kind == ClipPreprocess.Interpolation.BICUBIC ? TOLERANCE_PLAIN_TORCH : TOLERANCE;
        assertTrue(diff <= tol, e.getKey() + ": max |difference| " + diff + " > " + tol);
        checked++;
      }
      assertEquals(11, checked, "cases in the fixture");
      System.out.println("resize vs reference, max |difference|:" + report);
    }
  }

  /** The other kernel is far off: the fixture tells them apart (so the test above checks the kernel). */
  @Test
  void antialiasedAndPlainBicubicDifferAtSdSize() {
    INDArray x = Nd4j.createFromArray(image(0, 512, 512, 1));
    INDArray plain = ClipPreprocess.resizeMatrix(512, 224, ClipPreprocess.Interpolation.BICUBIC).mmul(x)
        .mmul(ClipPreprocess.resizeMatrix(512, 224, ClipPreprocess.Interpolation.BICUBIC).transpose());
    INDArray aa = ClipPreprocess.resizeMatrix(512, 224, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS).mmul(x)
        .mmul(ClipPreprocess.resizeMatrix(512, 224, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS).transpose());
    double diff = plain.sub(aa).amaxNumber().doubleValue();
    assertTrue(diff > 0.1, "max |plain − antialiased| " + diff);
    // upscaling too: PIL / torch-aa use a = −0.5 and renormalize at the borders, torch's plain a = −0.75
    INDArray up = ClipPreprocess.resizeMatrix(64, 224, ClipPreprocess.Interpolation.BICUBIC)
        .sub(ClipPreprocess.resizeMatrix(64, 224, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS));
    assertTrue(up.amaxNumber().doubleValue() > 0.01, "64 -> 224 kernels differ by " + up.amaxNumber());
  }

  @Test
  void antialiasedWeightsAreNormalizedAndStretchedByTheScale() {
    for (int[] s : new int[][] {{512, 224}, {224, 224}, {64, 224}, {300, 51}, {7, 3}, {1, 5}, {5, 1}}) {
      INDArray m = ClipPreprocess.resizeMatrix(s[0], s[1], ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS);
      INDArray sums = m.sum(1);
      for (int i = 0; i < s[1]; i++) {
        assertEquals(1.0, sums.getDouble(i), 1e-6, s[0] + " -> " + s[1] + " row " + i);
      }
    }
    // the same size is the identity; at 512 -> 224 row 100 has centre 100.5·512/224 = 229.71 and support
    // 2·512/224 = 4.57: pixels [int(225.64), int(234.79)) = [225, 234), 9 of them
    assertEquals(Nd4j.eye(9).castTo(DataType.FLOAT),
        ClipPreprocess.resizeMatrix(9, 9, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS));
    INDArray row = ClipPreprocess.resizeMatrix(512, 224, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS).getRow(100);
    int taps = 0;
    for (int j = 0; j < 512; j++) {
      taps += row.getDouble(j) != 0 ? 1 : 0;
    }
    assertEquals(9, taps);
    // 2 -> 1: centre 1, scale 2, support 4: pixels 0 and 1 at (j - 1 + 0.5) / 2 = -0.25, 0.25: equal weights
    assertEquals(Nd4j.createFromArray(new float[][] {{0.5f, 0.5f}}),
        ClipPreprocess.resizeMatrix(2, 1, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS));
  }

  /** CLIPImageProcessor's steps with PIL (shortest edge, bicubic, floor-offset crop, normalization) on 3×60×80. */
  @Test
  void huggingFacePipelineMatchesPil() {
    try (SafetensorsFile f = fixture()) {
      INDArray want = f.get("pipeline_pil_crop/out", DataType.DOUBLE);
      INDArray x = Nd4j.zeros(DataType.FLOAT, 1, 3, 60, 80);
      for (int c = 0; c < 3; c++) {
        x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(c))
            .assign(Nd4j.createFromArray(image(c, 60, 80, 6)));
      }
      INDArray got = HpsFixtureTest.preprocess(ClipPreprocess.huggingFace(32), x).reshape(3, 32, 32);
      double diff = got.castTo(DataType.DOUBLE).sub(want).amaxNumber().doubleValue();
      // TOLERANCE in [0, 1] units, divided by the smallest std
      assertTrue(diff <= TOLERANCE / 0.26130258, "max |difference| " + diff);
    }
  }

  @Test
  void torchvisionCropRoundsTheOffsetHalfToEven() {
    // 8×19 to 8: r = 19, margin 11: CLIPImageProcessor crops at 5, torchvision's CenterCrop at round(5.5) = 6
    ClipPreprocess hf = new ClipPreprocess(8, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS,
        ClipPreprocess.Fit.CROP);
    ClipPreprocess tv = new ClipPreprocess(8, ClipPreprocess.Interpolation.BICUBIC_ANTIALIAS,
        ClipPreprocess.Fit.CROP_TORCHVISION);
    assertArrayEquals(new long[] {8, 19}, hf.resized(8, 19));
    assertEquals(Nd4j.eye(19).castTo(DataType.FLOAT).getRows(5, 6, 7, 8, 9, 10, 11, 12), hf.axisMatrix(19, 19));
    assertEquals(Nd4j.eye(19).castTo(DataType.FLOAT).getRows(6, 7, 8, 9, 10, 11, 12, 13), tv.axisMatrix(19, 19));
    // margin 9: both at 4 (round(4.5) = 4)
    assertEquals(hf.axisMatrix(17, 17), tv.axisMatrix(17, 17));
  }

  /**
   * dL/dx of {@code L = Σ g ⊙ apply(x)} through SameDiff against central differences. The map is
   * affine, so the differences are exact up to float rounding of L (|L| ≲ 1e3, ulp ≈ 6e-5, over
   * 2h = 0.2): about 1e-3.
   */
  @Test
  void gradientThroughTheAntialiasedResizeMatchesFiniteDifferences() {
    int h = 23;
    int w = 17;
    ClipPreprocess pre = ClipPreprocess.huggingFace(8);
    Nd4j.getRandom().setSeed(3);
    INDArray x0 = Nd4j.rand(DataType.FLOAT, 1, 3, h, w);
    INDArray g = Nd4j.randn(DataType.FLOAT, 1, 3, 8, 8);
    SameDiff sd = SameDiff.create();
    SDVariable x = sd.var("x", x0.dup());
    SDVariable loss = pre.apply(sd, x, h, w).mul(sd.constant(g)).sum();
    INDArray grad = sd.calculateGradients(Map.of(), "x").get("x");
    double hstep = 0.1;
    int nonzero = 0;
    for (long idx = 0; idx < x0.length(); idx += 7) {
      double fd = (lossAt(pre, x0, g, idx, hstep, h, w) - lossAt(pre, x0, g, idx, -hstep, h, w)) / (2 * hstep);
      assertEquals(fd, grad.getDouble(idx), 2e-3 + 1e-3 * Math.abs(fd), "pixel " + idx);
      nonzero += Math.abs(fd) > 0.05 ? 1 : 0;
    }
    assertTrue(nonzero > 20, "pixels with a visible gradient: " + nonzero);
  }

  static double lossAt(ClipPreprocess pre, INDArray x0, INDArray g, long idx, double d, int h, int w) {
    INDArray x = x0.dup();
    x.putScalar(idx, x.getDouble(idx) + d);
    return HpsFixtureTest.preprocess(pre, x).castTo(DataType.DOUBLE).mul(g.castTo(DataType.DOUBLE)).sumNumber()
        .doubleValue();
  }
}
