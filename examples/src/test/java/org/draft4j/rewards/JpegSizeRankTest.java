package org.draft4j.rewards;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.draft4j.examples.support.Correlation;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.RewardEvaluator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The differentiable JPEG-size estimate ranks real JPEG sizes: actual sizes come from the JDK's
 * ImageIO JPEG writer (a build of IJG libjpeg) at quality 0.75 with its defaults (standard tables,
 * 4:2:0 chroma), on 64 varied images: ShapesWorld scenes 32×32 with added Gaussian noise of
 * amplitude 0 to 0.4 (in [0,1] units), the same 8-bit pixels fed to both.
 */
class JpegSizeRankTest {
  static int jpegBytes(INDArray img, int b) throws Exception {
    return jpegBytes(img, b, 0.75f);
  }

  /** Bytes of image {@code b} of {@code img} ({@code [N,3,H,W]} in [0,1]) written by ImageIO at {@code quality}. */
  static int jpegBytes(INDArray img, int b, float quality) throws Exception {
    int h = (int) img.size(2);
    int w = (int) img.size(3);
    BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
          rgb = (rgb << 8) | (int) Math.round(img.getDouble(b, c, y, x) * 255);
        }
        bi.setRGB(x, y, rgb);
      }
    }
    ImageWriter wr = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam p = wr.getDefaultWriteParam();
    p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    p.setCompressionQuality(quality);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream s = new MemoryCacheImageOutputStream(out)) {
      wr.setOutput(s);
      wr.write(null, new IIOImage(bi, null, null), p);
    }
    wr.dispose();
    return out.size();
  }

  @Test
  void estimateRanksLibjpegSizes() throws Exception {
    int n = 64;
    List<ShapesWorld.Scene> scenes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      scenes.add(ShapesWorld.scene(3, i));
    }
    INDArray x = ShapesWorld.images(scenes); // [-1, 1]
    Nd4j.getRandom().setSeed(8);
    for (int i = 0; i < n; i++) {
      double amp = 0.8 * i / (n - 1.0); // noise 0..0.4 in [0,1] units
      INDArray row = x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i));
      row.addi(Nd4j.randn(DataType.FLOAT, row.shape()).muli(amp));
    }
    // quantize to 8-bit pixels so the estimate and libjpeg see the same image
    INDArray img = org.nd4j.linalg.ops.transforms.Transforms.round(
        org.nd4j.linalg.ops.transforms.Transforms.min(
            org.nd4j.linalg.ops.transforms.Transforms.max(x.add(1).muli(0.5), 0.0), 1.0).muli(255)).divi(255);
    RewardEvaluator ev = new RewardEvaluator(Rewards.incompressibility(), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    INDArray est = ev.evaluate(img.mul(2).subi(1), Collections.nCopies(n, ""), false).rewards();
    double[] e = new double[n];
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      e[i] = est.getDouble(i);
      a[i] = jpegBytes(img, i);
    }
    double rho = Correlation.spearman(e, a);
    System.out.printf("Spearman(estimate, libjpeg q75 bytes) over %d images = %.4f%n", n, rho);
    assertTrue(rho >= 0.9, "Spearman " + rho);
  }

  /**
   * The independent check's set: every kind of image in {@link VariedImages} (flat, gradients,
   * Gaussian and uniform noise of many amplitudes, stripes, checkerboards, shapes, sinusoids,
   * salt-and-pepper, blocky noise, grid lines, combinations), 8 of each, 64×64, from a seed the rate
   * model's fit ({@link JpegRateFit}) never saw; ranked against ImageIO's sizes at the same quality.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {50, 75, 90, 95})
  void estimateRanksLibjpegSizesOnVariedImages(int quality) throws Exception {
    List<VariedImages.Image> set = VariedImages.generate(2, 8, 64);
    INDArray img = VariedImages.array(set);
    int n = set.size();
    RewardEvaluator ev = new RewardEvaluator(Rewards.compressibility(quality), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    INDArray est = ev.evaluate(img.mul(2).subi(1), Collections.nCopies(n, ""), false).rewards().neg();
    double[] e = new double[n];
    double[] a = new double[n];
    java.util.Map<VariedImages.Category, double[]> err = new java.util.EnumMap<>(VariedImages.Category.class);
    for (int i = 0; i < n; i++) {
      e[i] = est.getDouble(i) * 1024;
      a[i] = jpegBytes(img, i, quality / 100f);
      double[] c = err.computeIfAbsent(set.get(i).category(), k -> new double[3]);
      c[0] += (e[i] - a[i]) / a[i];
      c[1] = Math.max(c[1], Math.abs(e[i] - a[i]) / a[i]);
      c[2]++;
    }
    double rho = Correlation.spearman(e, a);
    StringBuilder sb = new StringBuilder();
    err.forEach((k, v) -> sb.append(String.format("%n  %-16s mean %+5.1f%%  worst %4.1f%%", k, 100 * v[0] / v[2], 100 * v[1])));
    System.out.printf("Spearman(estimate, ImageIO q%d bytes) over %d varied images = %.4f; relative error by kind:%s%n",
        quality, n, rho, sb);
    assertTrue(rho >= 0.95, "Spearman at quality " + quality + " = " + rho);
  }

  /** The shipped constants are what their named reference computation fits (to their printed digits). */
  @Test
  void shippedRateModelIsTheFitOfItsReferenceComputation() throws Exception {
    JpegSizeEstimate.RateModel fit = JpegRateFit.fit();
    JpegSizeEstimate.RateModel shipped = JpegSizeEstimate.RateModel.IMAGEIO_FIT;
    double[] a = {fit.headerBytes() / 100, fit.lumaMagnitude(), fit.lumaNonzero(), fit.lumaRun(), fit.lumaDc(),
        fit.chromaMagnitude(), fit.chromaRun(), fit.chromaDc()};
    double[] b = {shipped.headerBytes() / 100, shipped.lumaMagnitude(), shipped.lumaNonzero(), shipped.lumaRun(),
        shipped.lumaDc(), shipped.chromaMagnitude(), shipped.chromaRun(), shipped.chromaDc()};
    for (int i = 0; i < a.length; i++) {
      assertEquals(b[i], a[i], 6e-4, "constant " + i + ": fit " + fit + " vs shipped " + shipped);
    }
  }

  /** The graph computes the model that was fitted: its KB equal the plain-Java reference's. */
  @Test
  void graphEqualsThePlainJavaModel() {
    List<VariedImages.Image> set = VariedImages.generate(5, 2, 32);
    INDArray est = new RewardEvaluator(Rewards.compressibility(75), ImageDecoder.pixelSpace(), ExecutionContext.shared())
        .evaluate(VariedImages.array(set).mul(2).subi(1), Collections.nCopies(set.size(), ""), false).rewards().neg();
    JpegSizeEstimate.RateModel r = JpegSizeEstimate.RateModel.IMAGEIO_FIT;
    double[] w = {r.headerBytes() * 8, r.lumaMagnitude(), r.lumaNonzero(), r.lumaRun(), r.lumaDc(),
        r.chromaMagnitude(), r.chromaNonzero(), r.chromaRun(), r.chromaDc()};
    for (int i = 0; i < set.size(); i++) {
      double ref = JpegRateFit.bits(JpegRateFit.features(set.get(i).rgb(), 75), w) / 8 / 1024;
      assertEquals(ref, est.getDouble(i), 2e-3 * ref, set.get(i).description());
    }
  }
}
