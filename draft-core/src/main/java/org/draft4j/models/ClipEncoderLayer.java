package org.draft4j.models;

import org.draft4j.nn.GraphBuilder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One CLIP transformer layer (Hugging Face {@code CLIPEncoderLayer}), shared by the text and image
 * towers: {@code x += out_proj(attn(layer_norm1(x)))}, {@code x += fc2(act(fc1(layer_norm2(x))))}.
 */
public final class ClipEncoderLayer {
  private ClipEncoderLayer() {}

  /**
   * @param prefix e.g. {@code text_model.encoder.layers.3.}
   * @param x tokens {@code [B*n, d]}
   * @param mask additive attention mask {@code [n, n]} (causal for text), or null
   * @param act {@code quick_gelu} or {@code gelu}
   */
  public static SDVariable forward(GraphBuilder g, String prefix, SDVariable x, int n, int d, int ff, int heads,
      INDArray mask, String act, double eps) {
    g.segment(prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix); // a checkpointing block
    SDVariable h = g.layerNorm(prefix + "layer_norm1", x, d, eps);
    SDVariable q = g.linear(prefix + "self_attn.q_proj", h, d, d, true);
    SDVariable k = g.linear(prefix + "self_attn.k_proj", h, d, d, true);
    SDVariable v = g.linear(prefix + "self_attn.v_proj", h, d, d, true);
    SDVariable o = g.multiHead(q, k, v, n, n, heads, d / heads, mask);
    x = x.add(g.linear(prefix + "self_attn.out_proj", o, d, d, true));
    h = g.layerNorm(prefix + "layer_norm2", x, d, eps);
    h = g.linear(prefix + "mlp.fc1", h, d, ff, true);
    h = act.equals("gelu") ? g.gelu(h) : g.quickGelu(h);
    return x.add(g.linear(prefix + "mlp.fc2", h, ff, d, true));
  }
}
