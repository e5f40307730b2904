package org.draft4j.testing;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Plain-Java double-precision implementations of transformer pieces (PyTorch semantics), used as
 * independent references for the SameDiff models in tests.
 */
public final class Reference {
  private Reference() {}

  public static double[][] mat(INDArray a) {
    return a.castTo(DataType.DOUBLE).toDoubleMatrix();
  }

  public static double[] vec(INDArray a) {
    return a.castTo(DataType.DOUBLE).toDoubleVector();
  }

  /** {@code W x + b} with PyTorch layout {@code W [out, in]}; no bias when absent from the map. */
  public static double[] linear(Map<String, INDArray> p, String n, double[] x) {
    double[][] w = mat(p.get(n + ".weight"));
    double[] b = p.containsKey(n + ".bias") ? vec(p.get(n + ".bias")) : new double[w.length];
    double[] y = new double[w.length];
    for (int o = 0; o < w.length; o++) {
      double s = b[o];
      for (int i = 0; i < x.length; i++) {
        s += w[o][i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  public static double[] layerNorm(Map<String, INDArray> p, String n, double[] x, double eps) {
    double m = 0;
    for (double v : x) {
      m += v / x.length;
    }
    double var = 0;
    for (double v : x) {
      var += (v - m) * (v - m) / x.length;
    }
    double[] g = vec(p.get(n + ".weight"));
    double[] b = vec(p.get(n + ".bias"));
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (x[i] - m) / Math.sqrt(var + eps) * g[i] + b[i];
    }
    return y;
  }

  /**
   * One pre-LN CLIP encoder layer ({@code prefix} + layer_norm1, self_attn.{q,k,v,out}_proj,
   * layer_norm2, mlp.fc1/fc2 with quick GELU) over tokens {@code x [n][d]}, in place.
   */
  public static void clipLayer(Map<String, INDArray> p, String pre, double[][] x, int heads, boolean causal,
      double eps) {
    int n = x.length;
    int d = x[0].length;
    int dh = d / heads;
    double[][] q = new double[n][];
    double[][] k = new double[n][];
    double[][] v = new double[n][];
    for (int t = 0; t < n; t++) {
      double[] h = layerNorm(p, pre + "layer_norm1", x[t], eps);
      q[t] = linear(p, pre + "self_attn.q_proj", h);
      k[t] = linear(p, pre + "self_attn.k_proj", h);
      v[t] = linear(p, pre + "self_attn.v_proj", h);
    }
    double[][] att = new double[n][d];
    for (int hd = 0; hd < heads; hd++) {
      for (int t = 0; t < n; t++) {
        int last = causal ? t : n - 1;
        double[] s = new double[last + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int u = 0; u <= last; u++) {
          double dot = 0;
          for (int i = 0; i < dh; i++) {
            dot += q[t][hd * dh + i] * k[u][hd * dh + i];
          }
          s[u] = dot / Math.sqrt(dh);
          max = Math.max(max, s[u]);
        }
        double z = 0;
        for (int u = 0; u <= last; u++) {
          s[u] = Math.exp(s[u] - max);
          z += s[u];
        }
        for (int u = 0; u <= last; u++) {
          for (int i = 0; i < dh; i++) {
            att[t][hd * dh + i] += s[u] / z * v[u][hd * dh + i];
          }
        }
      }
    }
    for (int t = 0; t < n; t++) {
      double[] o = linear(p, pre + "self_attn.out_proj", att[t]);
      for (int i = 0; i < d; i++) {
        x[t][i] += o[i];
      }
      double[] h = linear(p, pre + "mlp.fc1", layerNorm(p, pre + "layer_norm2", x[t], eps));
      for (int i = 0; i < h.length; i++) {
        h[i] = h[i] / (1 + Math.exp(-1.702 * h[i]));
      }
      double[] m = linear(p, pre + "mlp.fc2", h);
      for (int i = 0; i < d; i++) {
        x[t][i] += m[i];
      }
    }
  }
}
