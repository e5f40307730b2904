package org.draft4j.models.sd3;

import org.draft4j.nn.GraphBuilder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * diffusers' {@code CombinedTimestepTextProjEmbeddings} ({@code embeddings.py} v0.29.2), SD3's
 * conditioning vector {@code temb: [B, D]}:
 *
 * <pre>
 * s(t) = [cos(t·f_j), sin(t·f_j)],  f_j = exp(-ln(10000)·j/128), j &lt; 128   (256 channels, cos first)
 * temb = timestep_embedder(s(t)) + text_embedder(pooled)
 * </pre>
 *
 * both embedders {@code linear_2(silu(linear_1(·)))} with biases. The sinusoid is computed in float32
 * as diffusers does.
 */
final class CombinedTimestepTextProjEmbeddings {
  /** Channels of the timestep sinusoid ({@code Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0)}). */
  static final int TIME_CHANNELS = 256;

  private CombinedTimestepTextProjEmbeddings() {}

  /** {@code temb} for {@code t: [B]} and {@code pooled: [B, P]}. */
  static SDVariable forward(GraphBuilder g, SDVariable t, SDVariable pooled, int pooledDim, int dim) {
    String p = "time_text_embed";
    SDVariable s = sinusoid(g.sd(), t);
    SDVariable te = g.linear(p + ".timestep_embedder.linear_1", s, TIME_CHANNELS, dim, true);
    te = g.linear(p + ".timestep_embedder.linear_2", g.silu(te), dim, dim, true);
    SDVariable pe = g.linear(p + ".text_embedder.linear_1", pooled, pooledDim, dim, true);
    pe = g.linear(p + ".text_embedder.linear_2", g.silu(pe), dim, dim, true);
    return te.add(pe);
  }

  /** {@code [cos(t·f), sin(t·f)]}, {@code [B, 256]}; f as torch computes it in float32. */
  static SDVariable sinusoid(SameDiff sd, SDVariable t) {
    int half = TIME_CHANNELS / 2;
    float[] f = new float[half];
    float logBase = (float) -Math.log(10000.0);
    for (int j = 0; j < half; j++) {
      f[j] = (float) Math.exp((j * logBase) / (float) half);
    }
    SDVariable args = t.reshape(-1, 1).mul(sd.constant(Nd4j.create(f, new long[] {1, half}, 'c')));
    return sd.concat(1, sd.math.cos(args), sd.math.sin(args));
  }
}
