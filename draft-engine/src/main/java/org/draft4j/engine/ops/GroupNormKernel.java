package org.draft4j.engine.ops;

import org.draft4j.engine.memory.RawMemory;
import org.draft4j.engine.memory.Scratch;

import static com.google.common.base.Preconditions.checkArgument;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GroupNorm with an optional fused activation, forward and backward, over {@code x: [B, C, S...]}
 * viewed as {@code B·G} groups of {@code n = C/G·S} elements (S = product of the spatial sizes):
 *
 * <pre>
 *   μ, σ² = mean and biased variance of the group      r = 1/√(σ² + ε)
 *   x̂ = (x − μ)·r     z = γ_c·x̂ + β_c     y = f(z)
 *
 *   backward, given dy:   dz = dy·f'(z)    dβ_c = Σ dz    dγ_c = Σ dz·x̂    g = γ_c·dz
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂))     (means over the group)
 * </pre>
 *
 * Float statistics are accumulated in double. Chunks of a channel are copied to heap scratch,
 * computed there and copied back.
 */
final class GroupNormKernel {
  private static final int CHUNK = 8192;

  private GroupNormKernel() {}

  /** Shape facts of one call. */
  record Geometry(int batch, int channels, int groups, int spatial) {
    static Geometry of(INDArray x, int groups) {
      checkArgument(x.rank() >= 2, "group norm: input rank %s, need [B, C, ...]", x.rank());
      long b = x.size(0);
      long c = x.size(1);
      checkArgument(groups > 0 && c % groups == 0, "group norm: %s channels are not divisible into %s groups", c, groups);
      long s = x.length() / Math.max(1, b * c);
      checkArgument(c / groups * s <= Integer.MAX_VALUE, "group norm: group of %s elements is too large",
          c / groups * s);
      return new Geometry((int) b, (int) c, groups, (int) s);
    }

    int perGroup() {
      return channels / groups;
    }
  }

  static void forward(INDArray x, INDArray gamma, INDArray beta, INDArray y, INDArray mean, INDArray rstd,
      Geometry g, double eps, Activation act) {
    if (x.dataType() == DataType.DOUBLE) {
      forwardDouble(x, gamma, beta, y, mean, rstd, g, eps, act);
      return;
    }
    RawMemory.Block xa = RawMemory.block(x);
    RawMemory.Block ya = RawMemory.block(y);
    float[] gam = RawMemory.floats(gamma);
    float[] bet = RawMemory.floats(beta);
    float[] buf = Scratch.floats(0, CHUNK);
    float[] mu = new float[g.batch() * g.groups()];
    float[] rs = new float[mu.length];
    double[] sums = new double[2];
    int cpg = g.perGroup();
    int s = g.spatial();
    long n = (long) cpg * s;
    for (int b = 0; b < g.batch(); b++) {
      for (int gr = 0; gr < g.groups(); gr++) {
        long base = ((long) b * g.channels() + (long) gr * cpg) * s;
        double sum = 0;
        double sq = 0;
        for (long off = 0; off < n; off += CHUNK) {
          int len = (int) Math.min(CHUNK, n - off);
          xa.get(base + off, buf, 0, len);
          Accumulators.sumAndSquares(buf, len, sums);
          sum += sums[0];
          sq += sums[1];
        }
        double m = sum / n;
        double var = Math.max(0, sq / n - m * m);
        float r = (float) (1 / Math.sqrt(var + eps));
        float mf = (float) m;
        mu[b * g.groups() + gr] = mf;
        rs[b * g.groups() + gr] = r;
        for (int c = 0; c < cpg; c++) {
          int ch = gr * cpg + c;
          float a = gam[ch] * r;
          float bb = bet[ch] - mf * a;
          long cbase = base + (long) c * s;
          for (int off = 0; off < s; off += CHUNK) {
            int len = Math.min(CHUNK, s - off);
            xa.get(cbase + off, buf, 0, len);
            for (int i = 0; i < len; i++) {
              buf[i] = buf[i] * a + bb;
            }
            act.apply(buf, buf, 0, len);
            ya.put(cbase + off, buf, 0, len);
          }
        }
      }
    }
    RawMemory.block(mean).put(0, mu, 0, mu.length);
    RawMemory.block(rstd).put(0, rs, 0, rs.length);
  }

  static void backward(INDArray x, INDArray gamma, INDArray beta, INDArray mean, INDArray rstd, INDArray dy,
      INDArray dx, INDArray dgamma, INDArray dbeta, Geometry g, Activation act) {
    if (x.dataType() == DataType.DOUBLE) {
      backwardDouble(x, gamma, beta, mean, rstd, dy, dx, dgamma, dbeta, g, act);
      return;
    }
    RawMemory.Block xa = RawMemory.block(x);
    RawMemory.Block da = RawMemory.block(dy);
    RawMemory.Block oa = RawMemory.block(dx);
    float[] gam = RawMemory.floats(gamma);
    float[] bet = RawMemory.floats(beta);
    float[] mu = RawMemory.floats(mean);
    float[] rs = RawMemory.floats(rstd);
    int cpg = g.perGroup();
    int s = g.spatial();
    int n = cpg * s;
    float[] xb = Scratch.floats(0, CHUNK);
    float[] z = Scratch.floats(1, CHUNK);
    float[] db = Scratch.floats(3, CHUNK);
    float[] gbuf = Scratch.floats(2, n); // γ·dz of the whole group
    double[] dgam = new double[g.channels()];
    double[] dbet = new double[g.channels()];
    for (int b = 0; b < g.batch(); b++) {
      for (int gr = 0; gr < g.groups(); gr++) {
        long base = ((long) b * g.channels() + (long) gr * cpg) * s;
        float m = mu[b * g.groups() + gr];
        float r = rs[b * g.groups() + gr];
        double sg = 0;
        double sgx = 0;
        for (int c = 0; c < cpg; c++) {
          int ch = gr * cpg + c;
          float ga = gam[ch];
          float a = ga * r;
          float bb = bet[ch] - m * a;
          double dgc = 0;
          double dbc = 0;
          for (int off = 0; off < s; off += CHUNK) {
            int len = Math.min(CHUNK, s - off);
            int at = c * s + off;
            xa.get(base + at, xb, 0, len);
            da.get(base + at, db, 0, len);
            for (int i = 0; i < len; i++) {
              z[i] = xb[i] * a + bb;
            }
            act.backward(z, db, db, 0, len); // db = dz
            float pgx = 0;
            float pdb = 0;
            for (int i = 0; i < len; i++) {
              float dz = db[i];
              pdb += dz;
              pgx += dz * ((xb[i] - m) * r);
            }
            for (int i = 0; i < len; i++) {
              db[i] *= ga;
            }
            System.arraycopy(db, 0, gbuf, at, len);
            dbc += pdb;
            dgc += pgx;
            sg += pdb * (double) ga;
            sgx += pgx * (double) ga;
          }
          dgam[ch] += dgc;
          dbet[ch] += dbc;
        }
        float mg = (float) (sg / n);
        float mgx = (float) (sgx / n);
        for (int c = 0; c < cpg; c++) {
          for (int off = 0; off < s; off += CHUNK) {
            int len = Math.min(CHUNK, s - off);
            int at = c * s + off;
            xa.get(base + at, xb, 0, len);
            System.arraycopy(gbuf, at, z, 0, len);
            for (int i = 0; i < len; i++) {
              float xh = (xb[i] - m) * r;
              xb[i] = r * (z[i] - mg - xh * mgx);
            }
            oa.put(base + at, xb, 0, len);
          }
        }
      }
    }
    Accumulators.storeAsFloats(dgamma, dgam);
    Accumulators.storeAsFloats(dbeta, dbet);
  }

  private static void forwardDouble(INDArray x, INDArray gamma, INDArray beta, INDArray y, INDArray mean, INDArray rstd,
      Geometry g, double eps, Activation act) {
    double[] xv = RawMemory.doubles(x);
    double[] gam = RawMemory.doubles(gamma);
    double[] bet = RawMemory.doubles(beta);
    double[] out = new double[xv.length];
    double[] mu = new double[g.batch() * g.groups()];
    double[] rs = new double[mu.length];
    int cpg = g.perGroup();
    int s = g.spatial();
    int n = cpg * s;
    for (int b = 0; b < g.batch(); b++) {
      for (int gr = 0; gr < g.groups(); gr++) {
        int base = (b * g.channels() + gr * cpg) * s;
        double m = 0;
        for (int i = 0; i < n; i++) {
          m += xv[base + i];
        }
        m /= n;
        double var = 0;
        for (int i = 0; i < n; i++) {
          double d = xv[base + i] - m;
          var += d * d;
        }
        var /= n;
        double r = 1 / Math.sqrt(var + eps);
        mu[b * g.groups() + gr] = m;
        rs[b * g.groups() + gr] = r;
        for (int c = 0; c < cpg; c++) {
          int ch = gr * cpg + c;
          for (int k = 0; k < s; k++) {
            int i = base + c * s + k;
            out[i] = act.apply(gam[ch] * (xv[i] - m) * r + bet[ch]);
          }
        }
      }
    }
    RawMemory.block(y).put(0, out, 0, out.length);
    RawMemory.block(mean).put(0, mu, 0, mu.length);
    RawMemory.block(rstd).put(0, rs, 0, rs.length);
  }

  private static void backwardDouble(INDArray x, INDArray gamma, INDArray beta, INDArray mean, INDArray rstd,
      INDArray dy, INDArray dx, INDArray dgamma, INDArray dbeta, Geometry g, Activation act) {
    double[] xv = RawMemory.doubles(x);
    double[] dyv = RawMemory.doubles(dy);
    double[] gam = RawMemory.doubles(gamma);
    double[] bet = RawMemory.doubles(beta);
    double[] mu = RawMemory.doubles(mean);
    double[] rs = RawMemory.doubles(rstd);
    double[] out = new double[xv.length];
    double[] dgam = new double[g.channels()];
    double[] dbet = new double[g.channels()];
    int cpg = g.perGroup();
    int s = g.spatial();
    int n = cpg * s;
    double[] gv = new double[n];
    for (int b = 0; b < g.batch(); b++) {
      for (int gr = 0; gr < g.groups(); gr++) {
        int base = (b * g.channels() + gr * cpg) * s;
        double m = mu[b * g.groups() + gr];
        double r = rs[b * g.groups() + gr];
        double sg = 0;
        double sgx = 0;
        for (int c = 0; c < cpg; c++) {
          int ch = gr * cpg + c;
          for (int k = 0; k < s; k++) {
            int i = base + c * s + k;
            double xh = (xv[i] - m) * r;
            double dz = dyv[i] * act.derivative(gam[ch] * xh + bet[ch]);
            dbet[ch] += dz;
            dgam[ch] += dz * xh;
            gv[c * s + k] = dz * gam[ch];
            sg += gv[c * s + k];
            sgx += gv[c * s + k] * xh;
          }
        }
        double mg = sg / n;
        double mgx = sgx / n;
        for (int j = 0; j < n; j++) {
          double xh = (xv[base + j] - m) * r;
          out[base + j] = r * (gv[j] - mg - xh * mgx);
        }
      }
    }
    RawMemory.block(dx).put(0, out, 0, out.length);
    RawMemory.block(dgamma).put(0, dgam, 0, dgam.length);
    RawMemory.block(dbeta).put(0, dbet, 0, dbet.length);
  }
}
