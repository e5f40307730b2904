package org.draft4j.models.sd3;

import org.draft4j.nn.GraphBuilder;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * diffusers' {@code JointTransformerBlock} (MMDiT block, {@code attention.py} v0.29.2) with its
 * {@code JointAttnProcessor2_0}. Image tokens {@code x: [B*N, D]}, context tokens {@code c: [B*L, D]},
 * conditioning {@code temb: [B, D]}:
 *
 * <pre>
 * x̃, g_a, β_m, γ_m, g_m = norm1(x, temb)                     (AdaLayerNormZero)
 * c̃, g'_a, β'_m, γ'_m, g'_m = norm1_context(c, temb)         (last block: AdaLayerNormContinuous, c̃ only)
 * q = [to_q(x̃); add_q_proj(c̃)], k = [to_k(x̃); add_k_proj(c̃)], v = [to_v(x̃); add_v_proj(c̃)]   (along the sequence)
 * o = softmax(q_h k_hᵀ/√d) v_h per head h, split back into o_x (N tokens) and o_c (L tokens)
 * x += g_a·to_out.0(o_x);   x += g_m·ff(LN(x)·(1+γ_m) + β_m)
 * c += g'_a·to_add_out(o_c); c += g'_m·ff_context(LN(c)·(1+γ'_m) + β'_m)   (not in the last block)
 * </pre>
 *
 * FF is {@code net.2(gelu_tanh(net.0.proj(·)))} with width 4D; every projection has a bias.
 *
 * <p>SD3.5 (diffusers v0.31): with {@code qk_norm = "rms_norm"} each head's queries and keys pass an
 * RMSNorm {@code q·rsqrt(mean(q²) + 1e-6)·w} ({@code attn.norm_q}, {@code norm_k}, {@code norm_added_q},
 * {@code norm_added_k}) before the concatenation; a dual-attention block takes {@code norm1} as
 * SD35AdaLayerNormZeroX and after the joint-attention residual adds
 * {@code x += g_a2·attn2(LN(x₀)·(1+γ_a2) + β_a2)}, a self-attention over the image tokens only
 * ({@code attn2.to_q/k/v/out.0}, with its own {@code norm_q}/{@code norm_k}), x₀ the block's input.
 */
final class JointTransformerBlock {
  /** The block's outputs; {@code context} is null for the context-pre-only (last) block. */
  record Output(SDVariable hidden, SDVariable context) {}

  private JointTransformerBlock() {}

  /**
   * @param p module prefix ({@code transformer_blocks.3})
   * @param n image tokens per sample
   * @param l context tokens per sample
   * @param contextPreOnly the last block: its context stream only feeds the attention
   */
  static Output forward(GraphBuilder g, String p, SDVariable x, long n, SDVariable c, long l, SDVariable temb,
      long dim, int heads, boolean contextPreOnly, boolean qkNorm, boolean dual) {
    g.segment(p);
    AdaLayerNorm.ZeroX nxx = dual ? AdaLayerNorm.zeroX(g, p + ".norm1", x, n, temb, dim) : null;
    AdaLayerNorm.Zero nx = dual ? nxx.zero() : AdaLayerNorm.zero(g, p + ".norm1", x, n, temb, dim);
    AdaLayerNorm.Zero nc = null;
    SDVariable cNormed;
    if (contextPreOnly) {
      cNormed = AdaLayerNorm.continuous(g, p + ".norm1_context", c, l, temb, dim, dim);
    } else {
      nc = AdaLayerNorm.zero(g, p + ".norm1_context", c, l, temb, dim);
      cNormed = nc.normed();
    }
    String a = p + ".attn";
    int hd = (int) (dim / heads);
    SDVariable q = joint(g, rms(g, a + ".norm_q", g.linear(a + ".to_q", nx.normed(), dim, dim, true), heads, hd, qkNorm),
        n, rms(g, a + ".norm_added_q", g.linear(a + ".add_q_proj", cNormed, dim, dim, true), heads, hd, qkNorm), l, dim);
    SDVariable k = joint(g, rms(g, a + ".norm_k", g.linear(a + ".to_k", nx.normed(), dim, dim, true), heads, hd, qkNorm),
        n, rms(g, a + ".norm_added_k", g.linear(a + ".add_k_proj", cNormed, dim, dim, true), heads, hd, qkNorm), l, dim);
    SDVariable v = joint(g, g.linear(a + ".to_v", nx.normed(), dim, dim, true), n,
        g.linear(a + ".add_v_proj", cNormed, dim, dim, true), l, dim);
    SDVariable o = g.multiHead(q, k, v, n + l, n + l, heads, dim / heads, null).reshape(-1, n + l, dim);
    SDVariable ox = o.get(SDIndex.all(), SDIndex.interval(0L, n), SDIndex.all()).reshape(-1, dim);

    x = x.add(AdaLayerNorm.gate(g.linear(a + ".to_out.0", ox, dim, dim, true), n, dim, nx.gateMsa()));
    if (dual) {
      String a2 = p + ".attn2";
      SDVariable h2 = nxx.normed2();
      SDVariable q2 = rms(g, a2 + ".norm_q", g.linear(a2 + ".to_q", h2, dim, dim, true), heads, hd, qkNorm);
      SDVariable k2 = rms(g, a2 + ".norm_k", g.linear(a2 + ".to_k", h2, dim, dim, true), heads, hd, qkNorm);
      SDVariable v2 = g.linear(a2 + ".to_v", h2, dim, dim, true);
      SDVariable o2 = g.linear(a2 + ".to_out.0", g.multiHead(q2, k2, v2, n, n, heads, hd, null), dim, dim, true);
      x = x.add(AdaLayerNorm.gate(o2, n, dim, nxx.gateMsa2()));
    }
    g.segment(p + ".ff");
    SDVariable h = AdaLayerNorm.modulate(AdaLayerNorm.layerNorm(g, x, dim, AdaLayerNorm.EPS), n, dim, nx.scaleMlp(),
        nx.shiftMlp());
    x = x.add(AdaLayerNorm.gate(feedForward(g, p + ".ff", h, dim), n, dim, nx.gateMlp()));
    if (contextPreOnly) {
      return new Output(x, null);
    }
    SDVariable oc = o.get(SDIndex.all(), SDIndex.interval(n, n + l), SDIndex.all()).reshape(-1, dim);
    c = c.add(AdaLayerNorm.gate(g.linear(a + ".to_add_out", oc, dim, dim, true), l, dim, nc.gateMsa()));
    g.segment(p + ".ff_context");
    SDVariable hc = AdaLayerNorm.modulate(AdaLayerNorm.layerNorm(g, c, dim, AdaLayerNorm.EPS), l, dim, nc.scaleMlp(),
        nc.shiftMlp());
    c = c.add(AdaLayerNorm.gate(feedForward(g, p + ".ff_context", hc, dim), l, dim, nc.gateMlp()));
    return new Output(x, c);
  }

  /** RMSNorm {@code name} over each head's {@code hd} channels of {@code x: [M, heads·hd]} (identity when off). */
  private static SDVariable rms(GraphBuilder g, String name, SDVariable x, int heads, int hd, boolean on) {
    if (!on) {
      return x;
    }
    SDVariable w = g.weight(name + ".weight", new long[] {hd}, org.draft4j.nn.Parameters.Init.ONES, 0);
    SDVariable xh = x.reshape(-1, heads, hd);
    SDVariable ms = xh.mul(xh).mean(true, 2);
    return xh.mul(g.sd().math.rsqrt(ms.add(1e-6))).mul(w).reshape(-1, (long) heads * hd);
  }

  /** {@code [B*n, D]} and {@code [B*l, D]} concatenated per sample along the sequence: {@code [B*(n+l), D]}. */
  private static SDVariable joint(GraphBuilder g, SDVariable img, long n, SDVariable ctx, long l, long dim) {
    return g.sd().concat(1, img.reshape(-1, n, dim), ctx.reshape(-1, l, dim)).reshape(-1, dim);
  }

  /** diffusers' {@code FeedForward(dim, activation_fn="gelu-approximate")}: {@code net.2(gelu_tanh(net.0.proj(x)))}. */
  static SDVariable feedForward(GraphBuilder g, String p, SDVariable x, long dim) {
    long inner = 4 * dim;
    SDVariable h = g.linear(p + ".net.0.proj", x, dim, inner, true);
    return g.linear(p + ".net.2", geluTanh(g.sd(), h), inner, dim, true);
  }

  /**
   * torch's {@code gelu(x, approximate="tanh")}: {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}, composed
   * from primitives (M2.1's {@code preciseGelu} drops the cubic term).
   */
  static SDVariable geluTanh(SameDiff sd, SDVariable x) {
    SDVariable inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2.0 / Math.PI));
    return x.mul(0.5).mul(sd.math.tanh(inner).add(1.0));
  }
}
