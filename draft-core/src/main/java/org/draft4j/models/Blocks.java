package org.draft4j.models;

import org.draft4j.nn.GraphBuilder;
import org.draft4j.engine.ops.Activation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/** diffusers' UNet sub-blocks (ResnetBlock2D, Transformer2DModel, BasicTransformerBlock, timestep embedding). */
final class Blocks {
  private final GraphBuilder g;
  private final int groups;
  private final double eps;
  private final SDVariable embAct;
  private final int embDim;
  private final SDVariable context;
  private final int contextLen;
  private final int contextDim;

  Blocks(GraphBuilder g, int groups, double eps, SDVariable embAct, int embDim, SDVariable context, int contextLen,
      int contextDim) {
    this.g = g;
    this.groups = groups;
    this.eps = eps;
    this.embAct = embAct;
    this.embDim = embDim;
    this.context = context;
    this.contextLen = contextLen;
    this.contextDim = contextDim;
  }

  /**
   * Sinusoidal timestep embedding, diffusers' {@code get_timestep_embedding}:
   * {@code f_i = exp(-ln(10000)·i/(half - shift))}, {@code [sin(t·f), cos(t·f)]}, swapped when flipped.
   */
  static SDVariable timestepEmbedding(SameDiff sd, SDVariable t, int dim, boolean flipSinToCos, int shift) {
    int half = dim / 2;
    float[] f = new float[half];
    for (int i = 0; i < half; i++) {
      f[i] = (float) Math.exp(-Math.log(10000.0) * i / (half - shift));
    }
    SDVariable args = t.reshape(-1, 1).mul(sd.constant(Nd4j.create(f, new long[] {1, half}, 'c')));
    SDVariable sin = sd.math.sin(args);
    SDVariable cos = sd.math.cos(args);
    return flipSinToCos ? sd.concat(1, cos, sin) : sd.concat(1, sin, cos);
  }

  /**
   * ResnetBlock2D: {@code shortcut(x) + conv2(silu(gn2(conv1(silu(gn1(x))) + proj(silu(emb)))))}; without
   * a time embedding (the VAE) the projection term is absent.
   */
  SDVariable resnet(String p, SDVariable x, int in, int out, int h, int w) {
    g.segment(p);
    SDVariable y = g.groupNorm(p + ".norm1", x, in, h, w, groups, eps, Activation.SILU);
    y = g.conv(p + ".conv1", y, in, out, 3, 1, 1);
    if (embAct != null) {
      SDVariable t = g.linear(p + ".time_emb_proj", embAct, embDim, out, true);
      y = y.add(t.reshape(-1, out, 1, 1));
    }
    y = g.groupNorm(p + ".norm2", y, out, h, w, groups, eps, Activation.SILU);
    y = g.conv(p + ".conv2", y, out, out, 3, 1, 1);
    SDVariable sc = in != out ? g.conv(p + ".conv_shortcut", x, in, out, 1, 1, 0) : x;
    return sc.add(y);
  }

  /**
   * The VAE's mid-block attention (diffusers' {@code Attention} from the deprecated attention block):
   * GroupNorm, single-head self-attention over all positions with biased q/k/v/out projections, residual.
   */
  SDVariable vaeAttention(String p, SDVariable x, int ch, int h, int w) {
    g.segment(p);
    SDVariable y = g.groupNorm(p + ".group_norm", x, ch, h, w, groups, eps);
    SDVariable tok = y.permute(0, 2, 3, 1).reshape(-1, ch);
    SDVariable a = g.attention(p, tok, (long) h * w, ch, tok, (long) h * w, ch, 1, ch, true, null);
    return a.reshape(-1, h, w, ch).permute(0, 3, 1, 2).add(x);
  }

  /**
   * Transformer2DModel (SD 1.x: GroupNorm eps 1e-6, 1×1 conv proj_in/proj_out) around one
   * BasicTransformerBlock: self-attention, cross-attention on the text context, GEGLU feed-forward,
   * each pre-LayerNorm with a residual.
   */
  SDVariable transformer(String p, SDVariable x, int ch, int heads, int h, int w) {
    int hw = h * w;
    int dh = ch / heads;
    g.segment(p);
    SDVariable y = g.groupNorm(p + ".norm", x, ch, h, w, groups, 1e-6);
    y = g.conv(p + ".proj_in", y, ch, ch, 1, 1, 0);
    SDVariable tok = y.permute(0, 2, 3, 1).reshape(-1, ch);
    String b = p + ".transformer_blocks.0";
    SDVariable n1 = g.layerNorm(b + ".norm1", tok, ch, 1e-5);
    tok = tok.add(g.attention(b + ".attn1", n1, hw, ch, n1, hw, ch, heads, dh, false, null));
    SDVariable n2 = g.layerNorm(b + ".norm2", tok, ch, 1e-5);
    tok = tok.add(g.attention(b + ".attn2", n2, hw, ch, context, contextLen, contextDim, heads, dh, false, null));
    g.segment(b + ".ff");
    SDVariable n3 = g.layerNorm(b + ".norm3", tok, ch, 1e-5);
    int ff = ch * 4;
    SDVariable proj = g.linear(b + ".ff.net.0.proj", n3, ch, 2L * ff, true);
    SDVariable geglu = g.geglu(proj, ff);
    tok = tok.add(g.linear(b + ".ff.net.2", geglu, ff, ch, true));
    g.segment(p + ".proj_out");
    y = tok.reshape(-1, h, w, ch).permute(0, 3, 1, 2);
    y = g.conv(p + ".proj_out", y, ch, ch, 1, 1, 0);
    return y.add(x);
  }
}
