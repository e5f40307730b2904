package org.draft4j.engine.ops;

import org.draft4j.engine.memory.RawMemory;
import org.draft4j.engine.memory.Scratch;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LayerNorm over the last dimension (size C) of {@code x}, forward and backward, per row:
 *
 * <pre>
 *   μ, σ² = mean and biased variance of the row     r = 1/√(σ² + ε)     x̂ = (x − μ)·r
 *   y = γ·x̂ + β
 *   backward, given dy:   dβ = Σ_rows dy    dγ = Σ_rows dy·x̂    g = γ·dy
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂))      (means over the row)
 * </pre>
 *
 * Float statistics are accumulated in double; rows are processed in blocks copied to heap scratch.
 */
final class LayerNormKernel {
  private static final int BLOCK = 16384;

  private LayerNormKernel() {}

  static int rows(INDArray x, int c) {
    checkArgument(x.rank() >= 1 && x.size(x.rank() - 1) == c, "layer norm: last dimension of %s is not %s",
        java.util.Arrays.toString(x.shape()), c);
    long r = x.length() / c;
    checkArgument(r * (long) c <= Integer.MAX_VALUE, "layer norm: input too large");
    return (int) r;
  }

  static void forward(INDArray x, INDArray gamma, INDArray beta, INDArray y, INDArray mean, INDArray rstd, int c,
      double eps) {
    int rows = rows(x, c);
    if (x.dataType() == DataType.DOUBLE) {
      forwardDouble(x, gamma, beta, y, mean, rstd, rows, c, eps);
      return;
    }
    RawMemory.Block xa = RawMemory.block(x);
    RawMemory.Block ya = RawMemory.block(y);
    float[] gam = RawMemory.floats(gamma);
    float[] bet = RawMemory.floats(beta);
    float[] mu = new float[rows];
    float[] rs = new float[rows];
    int per = Math.max(1, BLOCK / c);
    float[] buf = Scratch.floats(0, per * c);
    float[] row = Scratch.floats(1, c);
    double[] sums = new double[2];
    for (int r0 = 0; r0 < rows; r0 += per) {
      int nr = Math.min(per, rows - r0);
      xa.get((long) r0 * c, buf, 0, nr * c);
      for (int k = 0; k < nr; k++) {
        System.arraycopy(buf, k * c, row, 0, c);
        Accumulators.sumAndSquares(row, c, sums);
        double m = sums[0] / c;
        double var = Math.max(0, sums[1] / c - m * m);
        float mf = (float) m;
        float rf = (float) (1 / Math.sqrt(var + eps));
        mu[r0 + k] = mf;
        rs[r0 + k] = rf;
        for (int j = 0; j < c; j++) {
          row[j] = (row[j] - mf) * rf * gam[j];
        }
        for (int j = 0; j < c; j++) {
          row[j] += bet[j];
        }
        System.arraycopy(row, 0, buf, k * c, c);
      }
      ya.put((long) r0 * c, buf, 0, nr * c);
    }
    RawMemory.block(mean).put(0, mu, 0, rows);
    RawMemory.block(rstd).put(0, rs, 0, rows);
  }

  static void backward(INDArray x, INDArray gamma, INDArray mean, INDArray rstd, INDArray dy, INDArray dx,
      INDArray dgamma, INDArray dbeta, int c) {
    int rows = rows(x, c);
    if (x.dataType() == DataType.DOUBLE) {
      backwardDouble(x, gamma, mean, rstd, dy, dx, dgamma, dbeta, rows, c);
      return;
    }
    RawMemory.Block xa = RawMemory.block(x);
    RawMemory.Block da = RawMemory.block(dy);
    RawMemory.Block oa = RawMemory.block(dx);
    float[] gam = RawMemory.floats(gamma);
    float[] mu = RawMemory.floats(mean);
    float[] rs = RawMemory.floats(rstd);
    int per = Math.max(1, BLOCK / c);
    float[] xb = Scratch.floats(0, per * c);
    float[] db = Scratch.floats(1, per * c);
    float[] xr = Scratch.floats(2, c);
    float[] dr = Scratch.floats(3, c);
    float[] pgam = Scratch.floats(4, c);
    float[] pbet = Scratch.floats(5, c);
    double[] dgam = new double[c];
    double[] dbet = new double[c];
    for (int r0 = 0; r0 < rows; r0 += per) {
      int nr = Math.min(per, rows - r0);
      xa.get((long) r0 * c, xb, 0, nr * c);
      da.get((long) r0 * c, db, 0, nr * c);
      java.util.Arrays.fill(pgam, 0, c, 0f);
      java.util.Arrays.fill(pbet, 0, c, 0f);
      for (int k = 0; k < nr; k++) {
        System.arraycopy(xb, k * c, xr, 0, c);
        System.arraycopy(db, k * c, dr, 0, c);
        float m = mu[r0 + k];
        float r = rs[r0 + k];
        for (int j = 0; j < c; j++) {
          xr[j] = (xr[j] - m) * r; // x̂
        }
        for (int j = 0; j < c; j++) {
          pgam[j] += dr[j] * xr[j];
        }
        for (int j = 0; j < c; j++) {
          pbet[j] += dr[j];
        }
        for (int j = 0; j < c; j++) {
          dr[j] *= gam[j]; // g
        }
        float sg = 0;
        float sgx = 0;
        for (int j = 0; j < c; j++) {
          sg += dr[j];
          sgx += dr[j] * xr[j];
        }
        float mg = sg / c;
        float mgx = sgx / c;
        for (int j = 0; j < c; j++) {
          xr[j] = r * (dr[j] - mg - xr[j] * mgx);
        }
        System.arraycopy(xr, 0, xb, k * c, c);
      }
      for (int j = 0; j < c; j++) {
        dgam[j] += pgam[j];
        dbet[j] += pbet[j];
      }
      oa.put((long) r0 * c, xb, 0, nr * c);
    }
    Accumulators.storeAsFloats(dgamma, dgam);
    Accumulators.storeAsFloats(dbeta, dbet);
  }

  private static void forwardDouble(INDArray x, INDArray gamma, INDArray beta, INDArray y, INDArray mean,
      INDArray rstd, int rows, int c, double eps) {
    double[] xv = RawMemory.doubles(x);
    double[] gam = RawMemory.doubles(gamma);
    double[] bet = RawMemory.doubles(beta);
    double[] mu = new double[rows];
    double[] rs = new double[rows];
    for (int k = 0; k < rows; k++) {
      int o = k * c;
      double m = 0;
      for (int j = 0; j < c; j++) {
        m += xv[o + j];
      }
      m /= c;
      double var = 0;
      for (int j = 0; j < c; j++) {
        var += (xv[o + j] - m) * (xv[o + j] - m);
      }
      double r = 1 / Math.sqrt(var / c + eps);
      mu[k] = m;
      rs[k] = r;
      for (int j = 0; j < c; j++) {
        xv[o + j] = (xv[o + j] - m) * r * gam[j] + bet[j];
      }
    }
    RawMemory.block(y).put(0, xv, 0, xv.length);
    RawMemory.block(mean).put(0, mu, 0, rows);
    RawMemory.block(rstd).put(0, rs, 0, rows);
  }

  private static void backwardDouble(INDArray x, INDArray gamma, INDArray mean, INDArray rstd, INDArray dy,
      INDArray dx, INDArray dgamma, INDArray dbeta, int rows, int c) {
    double[] xv = RawMemory.doubles(x);
    double[] dyv = RawMemory.doubles(dy);
    double[] gam = RawMemory.doubles(gamma);
    double[] mu = RawMemory.doubles(mean);
    double[] rs = RawMemory.doubles(rstd);
    double[] out = new double[xv.length];
    double[] dgam = new double[c];
    double[] dbet = new double[c];
    for (int k = 0; k < rows; k++) {
      int o = k * c;
      double sg = 0;
      double sgx = 0;
      for (int j = 0; j < c; j++) {
        double h = (xv[o + j] - mu[k]) * rs[k];
        dgam[j] += dyv[o + j] * h;
        dbet[j] += dyv[o + j];
        sg += dyv[o + j] * gam[j];
        sgx += dyv[o + j] * gam[j] * h;
      }
      for (int j = 0; j < c; j++) {
        double h = (xv[o + j] - mu[k]) * rs[k];
        out[o + j] = rs[k] * (dyv[o + j] * gam[j] - sg / c - h * sgx / c);
      }
    }
    RawMemory.block(dx).put(0, out, 0, out.length);
    RawMemory.block(dgamma).put(0, dgam, 0, c);
    RawMemory.block(dbeta).put(0, dbet, 0, c);
  }
}
