package org.draft4j.rewards;

import org.draft4j.models.ClipEncoderLayer;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * CLIP's ViT image tower with Hugging Face names ({@code CLIPModel} / {@code
 * CLIPVisionModelWithProjection}): {@code vision_model.embeddings.patch_embedding} (a p×p, stride-p
 * convolution without bias), {@code class_embedding}, {@code position_embedding},
 * {@code pre_layrnorm} (sic), pre-LN transformer layers as the text tower's but unmasked,
 * {@code post_layernorm} on the class token, then {@code visual_projection} (no bias). Works at any
 * size from tiny to ViT-H/14.
 */
public final class ClipVisionModel {
  private final ClipVisionConfig config;
  private final Parameters params;

  public ClipVisionModel(ClipVisionConfig config, Parameters params) {
    this.config = config;
    this.params = params;
  }

  public ClipVisionConfig config() {
    return config;
  }

  public Parameters parameters() {
    return params;
  }

  /** Image embeddings {@code [B, projection_dim]} (not normalized) of preprocessed pixels {@code [B,3,S,S]}. */
  public SDVariable imageEmbeds(GraphBuilder g, SDVariable pixels) {
    ClipVisionConfig c = config;
    SameDiff sd = g.sd();
    int d = c.hiddenSize();
    int p = c.patchSize();
    int n = c.imageSize() / p;
    int tokens = c.tokens();
    String e = "vision_model.embeddings.";
    SDVariable w = g.weight(e + "patch_embedding.weight", new long[] {d, 3, p, p}, Parameters.Init.NORMAL_002, 0);
    SDVariable patches = g.convWith(pixels, w, p, p, 0); // [B, d, n, n]
    patches = patches.reshape(-1, d, (long) n * n).permute(0, 2, 1); // [B, n², d]
    SDVariable cls = g.weight(e + "class_embedding", new long[] {d}, Parameters.Init.NORMAL_002, 0);
    SDVariable clsB = patches.get(SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all()).mul(0.0).add(cls.reshape(1, 1, d));
    SDVariable x = sd.concat(1, clsB, patches);
    SDVariable pos = g.weight(e + "position_embedding.weight", new long[] {tokens, d}, Parameters.Init.NORMAL_002, 0);
    x = x.add(pos.reshape(1, tokens, d)).reshape(-1, d);
    x = g.layerNorm("vision_model.pre_layrnorm", x, d, c.layerNormEps());
    int heads = c.numAttentionHeads();
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      x = ClipEncoderLayer.forward(g, "vision_model.encoder.layers." + i + ".", x, tokens, d, c.intermediateSize(),
          heads, null, c.hiddenAct(), c.layerNormEps());
    }
    SDVariable pooled = x.reshape(-1, tokens, d).get(SDIndex.all(), SDIndex.point(0), SDIndex.all());
    g.segment("vision_model.post_layernorm");
    pooled = g.layerNorm("vision_model.post_layernorm", pooled, d, c.layerNormEps());
    SDVariable proj = g.weight("visual_projection.weight", new long[] {c.projectionDim(), d},
        Parameters.Init.NORMAL_002, 0);
    return sd.mmul(pooled, proj, false, true, false);
  }
}
