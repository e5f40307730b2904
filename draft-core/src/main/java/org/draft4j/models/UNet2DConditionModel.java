package org.draft4j.models;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Layer;
import org.draft4j.nn.LayerAdapter;
import org.draft4j.nn.Parameters;
import org.draft4j.engine.ops.Activation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * diffusers' {@code UNet2DConditionModel} (the Stable Diffusion 1.x noise predictor), built into a
 * SameDiff graph from a {@link UNet2DConditionConfig} and weights under diffusers' parameter names
 * ({@code conv_in}, {@code time_embedding.linear_1}, {@code down_blocks.i.resnets.j},
 * {@code down_blocks.i.attentions.j.transformer_blocks.0.attn1.to_q}, {@code mid_block},
 * {@code up_blocks}, {@code conv_norm_out}, {@code conv_out}), so an SD 1.x
 * {@code unet/diffusion_pytorch_model.safetensors} loads without key mapping.
 *
 * <p>{@code ε = unet(x_t, t, c)} with {@code x_t: [B, in, H, W]}, {@code t: [B]} and
 * {@code c: [B, L, cross_attention_dim]}. The model object holds config and weights only; graphs
 * are compiled by {@link UNetDenoiser}.
 */
public final class UNet2DConditionModel {
  /** diffusers' weights file name inside a model folder. */
  public static final String WEIGHTS_FILE = "diffusion_pytorch_model.safetensors";

  private final UNet2DConditionConfig config;
  private final Parameters params;

  private UNet2DConditionModel(UNet2DConditionConfig config, Parameters params) {
    this.config = config;
    this.params = params;
  }

  /** A model with PyTorch-default random weights, deterministic in {@code seed}. */
  public static UNet2DConditionModel random(UNet2DConditionConfig config, long seed) {
    UNet2DConditionModel m = new UNet2DConditionModel(config, Parameters.random(seed));
    m.validateWeights();
    return m;
  }

  /** A model over given weights; missing, misshapen or unexpected keys are refused naming the first one. */
  public static UNet2DConditionModel of(UNet2DConditionConfig config, Parameters params) {
    UNet2DConditionModel m = new UNet2DConditionModel(config, params);
    m.validateWeights();
    return m;
  }

  /**
   * Loads a diffusers model folder: {@code config.json} and its weights in any form {@link WeightFiles}
   * finds (safetensors F32/F16/BF16, sharded, {@code .bin}).
   */
  public static UNet2DConditionModel load(Path dir) throws IOException {
    return of(UNet2DConditionConfig.load(dir.resolve("config.json")),
        ModelFiles.readWeights(ModelFolder.of(dir), WeightFiles.Naming.DIFFUSERS, null));
  }

  /** Writes a diffusers model folder. */
  public void save(Path dir) throws IOException {
    save(dir, WeightsFormat.F32);
  }

  /** Writes a diffusers model folder with the weights in {@code format} (for example {@link WeightsFormat#fp16()}). */
  public void save(Path dir, WeightsFormat format) throws IOException {
    ModelFiles.write(dir, config.toJson(), "diffusion_pytorch_model", params, format);
  }

  private void validateWeights() {
    traceForward(new GraphBuilder(org.draft4j.engine.Graphs.create(), params, List.of()));
    params.requireAllUsed();
  }

  /**
   * The name and shape of every weight a UNet with {@code config} has, in build order, from its graph
   * built over {@link Parameters#shapesOnly} weights (nothing is allocated): what a weights file for
   * this config must hold.
   */
  public static java.util.Map<String, long[]> parameterShapes(UNet2DConditionConfig config) {
    Parameters shapes = Parameters.shapesOnly("UNet parameter shapes");
    GraphBuilder g = new GraphBuilder(org.draft4j.engine.Graphs.create(), shapes, List.of());
    new UNet2DConditionModel(config, shapes).traceForward(g);
    return ModelFiles.weightShapes(g.sd(), java.util.Set.of("sample", "timestep", "encoder_hidden_states"));
  }

  /** Builds the forward pass on placeholders (config sample size, 77 context tokens) into {@code g}'s graph. */
  private void traceForward(GraphBuilder g) {
    SameDiff sd = g.sd();
    int hw = config.sampleSize();
    SDVariable x = sd.placeHolder("sample", DataType.FLOAT, -1, config.inChannels(), hw, hw);
    SDVariable t = sd.placeHolder("timestep", DataType.FLOAT, -1);
    SDVariable c = sd.placeHolder("encoder_hidden_states", DataType.FLOAT, -1, 77, config.crossAttentionDim());
    forward(g, x, t, c, hw, hw, 77);
  }

  /**
   * Every linear and convolution layer of a UNet with {@code config}, in build order, found by
   * building its graph with {@link Parameters#shapesOnly} weights: no weights are created and the
   * graph is thrown away, so this is cheap even for SD 1.5. {@code adapters} are attached as in a
   * real build, so an adapter creates its matrices for the layers it targets (LoRA's
   * {@code initializeFor} uses this).
   */
  public static List<Layer> layers(UNet2DConditionConfig config, List<? extends LayerAdapter> adapters) {
    List<Layer> seen = new java.util.ArrayList<>();
    LayerAdapter recorder = new LayerAdapter() {
      @Override
      public boolean appliesTo(Layer layer) {
        seen.add(layer);
        return false;
      }

      @Override
      public SDVariable delta(SameDiff sd, Layer layer, SDVariable input, GraphBuilder.ConvGeometry geometry) {
        throw new IllegalStateException("never applies");
      }

      @Override
      public java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> trainableParameters() {
        return java.util.Map.of();
      }

      @Override
      public java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> feeds(boolean enabled) {
        return java.util.Map.of();
      }
    };
    List<LayerAdapter> all = new java.util.ArrayList<>(adapters);
    all.add(0, recorder);
    Parameters shapes = Parameters.shapesOnly("UNet layers");
    new UNet2DConditionModel(config, shapes)
        .traceForward(new GraphBuilder(org.draft4j.engine.Graphs.create(), shapes, all));
    return List.copyOf(seen);
  }

  public UNet2DConditionConfig config() {
    return config;
  }

  /** The weights by diffusers name (live arrays). */
  public Parameters parameters() {
    return params;
  }

  /**
   * Adds the forward pass to a graph and returns the prediction {@code [B, out, H, W]}.
   *
   * @param sample {@code [B, in, height, width]}
   * @param timestep {@code [B]} float timesteps
   * @param context {@code [B, contextLen, cross_attention_dim]}
   */
  public SDVariable forward(GraphBuilder g, SDVariable sample, SDVariable timestep, SDVariable context, int height,
      int width, int contextLen) {
    UNet2DConditionConfig c = config;
    int n = c.levels();
    int c0 = c.channels(0);
    int ted = c.timeEmbedDim();
    g.segment("time_embedding");
    SDVariable ctx = context.reshape(-1, c.crossAttentionDim());

    SDVariable temb = Blocks.timestepEmbedding(g.sd(), timestep, c0, c.flipSinToCos(), c.freqShift());
    SDVariable emb = g.linear("time_embedding.linear_1", temb, c0, ted, true);
    emb = g.linear("time_embedding.linear_2", g.silu(emb), ted, ted, true);
    SDVariable embAct = g.silu(emb);

    Blocks b = new Blocks(g, c.normNumGroups(), c.normEps(), embAct, ted, ctx, contextLen, c.crossAttentionDim());
    int h = height;
    int w = width;
    SDVariable x = g.conv("conv_in", sample, c.inChannels(), c0, 3, 1, 1);
    Deque<SDVariable> skips = new ArrayDeque<>();
    Deque<Integer> skipChannels = new ArrayDeque<>();
    skips.push(x);
    skipChannels.push(c0);
    int ch = c0;
    for (int i = 0; i < n; i++) {
      int out = c.channels(i);
      boolean cross = c.downBlockTypes().get(i).equals("CrossAttnDownBlock2D");
      for (int j = 0; j < c.layersPerBlock(); j++) {
        String p = "down_blocks." + i;
        x = b.resnet(p + ".resnets." + j, x, ch, out, h, w);
        ch = out;
        if (cross) {
          x = b.transformer(p + ".attentions." + j, x, ch, c.attentionHeads()[i], h, w);
        }
        skips.push(x);
        skipChannels.push(ch);
      }
      if (i < n - 1) {
        x = g.conv("down_blocks." + i + ".downsamplers.0.conv", x, ch, ch, 3, 2, 1);
        h /= 2;
        w /= 2;
        skips.push(x);
        skipChannels.push(ch);
      }
    }
    int midHeads = c.attentionHeads()[n - 1];
    x = b.resnet("mid_block.resnets.0", x, ch, ch, h, w);
    x = b.transformer("mid_block.attentions.0", x, ch, midHeads, h, w);
    x = b.resnet("mid_block.resnets.1", x, ch, ch, h, w);
    for (int i = 0; i < n; i++) {
      int level = n - 1 - i;
      int out = c.channels(level);
      boolean cross = c.upBlockTypes().get(i).equals("CrossAttnUpBlock2D");
      String p = "up_blocks." + i;
      for (int j = 0; j <= c.layersPerBlock(); j++) {
        SDVariable skip = skips.pop();
        int sc = skipChannels.pop();
        x = g.sd().concat(1, x, skip);
        x = b.resnet(p + ".resnets." + j, x, ch + sc, out, h, w);
        ch = out;
        if (cross) {
          x = b.transformer(p + ".attentions." + j, x, ch, c.attentionHeads()[level], h, w);
        }
      }
      if (i < n - 1) {
        x = g.upsampleNearest2x(x);
        h *= 2;
        w *= 2;
        x = g.conv(p + ".upsamplers.0.conv", x, ch, ch, 3, 1, 1);
      }
    }
    g.segment("conv_norm_out");
    x = g.groupNorm("conv_norm_out", x, c0, h, w, c.normNumGroups(), c.normEps(), Activation.SILU);
    return g.conv("conv_out", x, c0, c.outChannels(), 3, 1, 1);
  }

  /** Number of scalar parameters. */
  public long parameterCount() {
    return params.count();
  }

  static {
    Nd4j.getRandom(); // initialize the backend early so errors surface at class load
  }
}
