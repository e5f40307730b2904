package org.draft4j.models.sd3;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.Graphs;
import org.draft4j.io.TensorStore;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.WeightFiles;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * diffusers' {@code SD3Transformer2DModel} (v0.29.2, the Stable Diffusion 3 MMDiT; v0.31's SD3.5
 * options {@code qk_norm} and {@code dual_attention_layers} too, see {@link JointTransformerBlock}), built into a
 * SameDiff graph from an {@link SD3Transformer2DConfig} and weights under diffusers' parameter names
 * ({@code pos_embed.proj}, {@code time_text_embed.timestep_embedder.linear_1},
 * {@code context_embedder}, {@code transformer_blocks.i.attn.add_q_proj}, {@code norm_out.linear},
 * {@code proj_out}), so a {@code transformer/diffusion_pytorch_model.safetensors} loads without key mapping.
 *
 * <p>With {@code x: [B, C, H, W]}, text tokens {@code y: [B, L, joint_attention_dim]}, pooled text
 * {@code y_p: [B, P]} and timesteps {@code t: [B]} (diffusers' 0..1000 scale):
 *
 * <pre>
 * h = PatchEmbed(x)                                 [B·N, D], N = (H/p)(W/p)
 * temb = timestep_embedder(s(t)) + text_embedder(y_p)
 * c = context_embedder(y)                           [B·L, D]
 * (h, c) = JointTransformerBlock_i(h, c, temb)     i &lt; num_layers, the last one context-pre-only
 * out = unpatchify(proj_out(AdaLayerNormContinuous(h, temb)))   [B, C_out, H, W]
 * </pre>
 *
 * unpatchify reads {@code proj_out}'s {@code p·p·C_out} channels as {@code (p_row, p_col, c)}:
 * {@code [B, h, w, p, p, C] → [B, C, h, p, w, p]} ({@code einsum("nhwpqc->nchpwq")}).
 * The object holds config and weights only; {@link SD3Transformer2DGraph} compiles and runs graphs.
 */
public final class SD3Transformer2DModel {
  /** diffusers' weights file name inside a model folder. */
  public static final String WEIGHTS_FILE = "diffusion_pytorch_model.safetensors";

  private final SD3Transformer2DConfig config;
  private final Parameters params;
  private final INDArray positionTable;

  private SD3Transformer2DModel(SD3Transformer2DConfig config, Parameters params) {
    this.config = config;
    this.params = params;
    int m = config.posEmbedMaxSize();
    int d = config.innerDim();
    if (params.asMap().containsKey(PatchEmbed.TABLE)) {
      // the checkpoint's buffer, as diffusers uses it (state_dict loading overwrites the computed one)
      this.positionTable = params.get(PatchEmbed.TABLE, new long[] {1, (long) m * m, d}, Parameters.Init.ZEROS, 0)
          .reshape((long) m * m, d);
    } else {
      this.positionTable = params.isShapesOnly() ? null : computedPositionTable(config);
    }
  }

  /** The 2-D sin-cos table diffusers computes for {@code config}, {@code [M*M, D]}. */
  public static INDArray computedPositionTable(SD3Transformer2DConfig config) {
    return PatchEmbed.positionTable(config.innerDim(), config.posEmbedMaxSize(),
        config.sampleSize() / (double) config.patchSize());
  }

  /** A model with PyTorch-default random weights, deterministic in {@code seed} (the position table is computed). */
  public static SD3Transformer2DModel random(SD3Transformer2DConfig config, long seed) {
    SD3Transformer2DModel m = new SD3Transformer2DModel(config, Parameters.random(seed));
    m.validateWeights();
    return m;
  }

  /** A model over given weights; missing, misshapen or unexpected keys are refused naming the first one. */
  public static SD3Transformer2DModel of(SD3Transformer2DConfig config, Parameters params) {
    SD3Transformer2DModel m = new SD3Transformer2DModel(config, params);
    m.validateWeights();
    return m;
  }

  /**
   * Loads a diffusers model folder (an SD3 pipeline's {@code transformer/}): {@code config.json} and
   * its weights in any form {@link WeightFiles} finds (safetensors F32/F16/BF16, sharded, {@code .bin}).
   */
  public static SD3Transformer2DModel load(Path dir) throws IOException {
    ModelFolder folder = ModelFolder.of(dir);
    SD3Transformer2DConfig config = SD3Transformer2DConfig.fromJson(folder.readJson("config.json"),
        dir.resolve("config.json").toString());
    Parameters params;
    try (TensorStore f = WeightFiles.open(folder, "", WeightFiles.Naming.DIFFUSERS, null)) {
      Map<String, INDArray> all = f.readAll();
      Map<String, INDArray> asFloat = new java.util.LinkedHashMap<>();
      all.forEach((k, v) -> asFloat.put(k, v.dataType() == DataType.FLOAT ? v : v.castTo(DataType.FLOAT)));
      params = Parameters.of(asFloat, f.source());
    }
    return of(config, params);
  }

  private void validateWeights() {
    SameDiff sd = Graphs.create();
    GraphBuilder g = new GraphBuilder(sd, params, List.of());
    int s = config.sampleSize();
    SDVariable x = sd.placeHolder("hidden_states", DataType.FLOAT, -1, config.inChannels(), s, s);
    SDVariable y = sd.placeHolder("encoder_hidden_states", DataType.FLOAT, -1, 1, config.jointAttentionDim());
    SDVariable yp = sd.placeHolder("pooled_projections", DataType.FLOAT, -1, config.pooledProjectionDim());
    SDVariable t = sd.placeHolder("timestep", DataType.FLOAT, -1);
    forward(g, x, y, yp, t, s, s, 1, null);
    params.requireAllUsed();
  }

  public SD3Transformer2DConfig config() {
    return config;
  }

  /** The weights by diffusers name (live arrays). */
  public Parameters parameters() {
    return params;
  }

  /** Number of scalar values in the weights (the position-table buffer included where the file carries it). */
  public long parameterCount() {
    return params.count();
  }

  /**
   * Adds the forward pass to {@code g}'s graph and returns the prediction {@code [B, out_channels, H, W]}.
   *
   * @param hidden {@code [B, in_channels, height, width]} latents
   * @param text {@code [B, textLen, joint_attention_dim]}
   * @param pooled {@code [B, pooled_projection_dim]}
   * @param timestep {@code [B]}
   * @param taps where not null, receives diffusers' intermediate outputs by module name ({@code pos_embed},
   *     {@code time_text_embed}, {@code context_embedder}, {@code transformer_blocks.i.hidden_states},
   *     {@code transformer_blocks.i.encoder_hidden_states}, {@code norm_out}, {@code proj_out}) as token matrices
   */
  public SDVariable forward(GraphBuilder g, SDVariable hidden, SDVariable text, SDVariable pooled,
      SDVariable timestep, int height, int width, int textLen, Map<String, SDVariable> taps) {
    SD3Transformer2DConfig c = config;
    int p = c.patchSize();
    int d = c.innerDim();
    checkArgument(height % p == 0 && width % p == 0, "latents %sx%s are not divisible by patch_size = %s", height,
        width, p);
    checkArgument(textLen >= 1, "textLen = %s must be >= 1", textLen);
    int h = height / p;
    int w = width / p;
    long n = (long) h * w;
    g.segment("pos_embed");
    SDVariable x = PatchEmbed.forward(g, hidden, c.inChannels(), d, p, height, width, positionTable,
        c.posEmbedMaxSize());
    tap(taps, "pos_embed", x);
    SDVariable temb = CombinedTimestepTextProjEmbeddings.forward(g, timestep, pooled, c.pooledProjectionDim(), d);
    tap(taps, "time_text_embed", temb);
    SDVariable ctx = g.linear("context_embedder", text.reshape(-1, c.jointAttentionDim()), c.jointAttentionDim(),
        c.captionProjectionDim(), true);
    tap(taps, "context_embedder", ctx);
    for (int i = 0; i < c.numLayers(); i++) {
      String name = "transformer_blocks." + i;
      JointTransformerBlock.Output o = JointTransformerBlock.forward(g, name, x, n, ctx, textLen, temb, d,
          c.numAttentionHeads(), i == c.numLayers() - 1, c.qkNorm() != null, c.dualAttention(i));
      x = o.hidden();
      ctx = o.context();
      tap(taps, name + ".hidden_states", x);
      if (ctx != null) {
        tap(taps, name + ".encoder_hidden_states", ctx);
      }
    }
    g.segment("norm_out");
    x = AdaLayerNorm.continuous(g, "norm_out", x, n, temb, d, d);
    tap(taps, "norm_out", x);
    int out = c.outChannels();
    x = g.linear("proj_out", x, d, (long) p * p * out, true);
    tap(taps, "proj_out", x);
    return x.reshape(-1, h, w, p, p, out).permute(0, 5, 1, 3, 2, 4).reshape(-1, out, height, width);
  }

  private static void tap(Map<String, SDVariable> taps, String name, SDVariable v) {
    if (taps != null) {
      taps.put(name, v);
    }
  }
}
