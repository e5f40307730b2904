package org.draft4j.models;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.draft4j.engine.ops.Activation;
import org.draft4j.spi.ImageDecoder;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * diffusers' {@code AutoencoderKL} (Stable Diffusion's VAE) with diffusers' parameter names:
 * {@code encoder.*}, {@code quant_conv}, {@code post_quant_conv}, {@code decoder.*}. The encoder maps
 * images in [-1, 1] to moments (mean and log-variance); the decoder maps latents to images in [-1, 1].
 * As a pipeline {@link ImageDecoder} it computes {@code clip((decode(z / scaling_factor) + 1)/2, 0, 1)}.
 *
 * <p>Its convenience encode/decode calls without gradient run in {@link org.draft4j.engine.ExecutionContext#shared()}, whose options an
 * application sets once with {@code ExecutionContext.setDefaultOptions}; graphs that train or take
 * gradients are built by callers that pass their own context.
 */
public final class AutoencoderKL {
  public static final String WEIGHTS_FILE = "diffusion_pytorch_model.safetensors";
  private static final double EPS = 1e-6;
  private final AutoencoderKLConfig config;
  private final Parameters params;

  private AutoencoderKL(AutoencoderKLConfig config, Parameters params) {
    this.config = config;
    this.params = params;
  }

  /** Random weights (PyTorch defaults), deterministic in {@code seed}. */
  public static AutoencoderKL random(AutoencoderKLConfig config, long seed) {
    AutoencoderKL m = new AutoencoderKL(config, Parameters.random(seed));
    m.validate();
    return m;
  }

  /** A VAE over given weights; missing, misshapen or unexpected keys are refused naming the first. */
  public static AutoencoderKL of(AutoencoderKLConfig config, Parameters params) {
    AutoencoderKL m = new AutoencoderKL(config, params);
    m.validate();
    return m;
  }

  /** Loads a diffusers {@code vae/} folder (weights in any form {@link WeightFiles} finds). */
  public static AutoencoderKL load(Path dir) throws IOException {
    return of(AutoencoderKLConfig.load(dir.resolve("config.json")),
        ModelFiles.readWeights(ModelFolder.of(dir), WeightFiles.Naming.DIFFUSERS, null));
  }

  /** Writes a diffusers {@code vae/} folder. */
  public void save(Path dir) throws IOException {
    save(dir, WeightsFormat.F32);
  }

  /** Writes a diffusers {@code vae/} folder with the weights in {@code format}. */
  public void save(Path dir, WeightsFormat format) throws IOException {
    ModelFiles.write(dir, config.toJson(), "diffusion_pytorch_model", params, format);
  }

  private void validate() {
    trace(new GraphBuilder(org.draft4j.engine.Graphs.create(), params, List.of()));
    params.requireAllUsed();
  }

  /** Builds the encoder and the decoder on placeholders ({@code image}, {@code latents}) at the config's size. */
  private void trace(GraphBuilder g) {
    SameDiff sd = g.sd();
    int s = config.sampleSize();
    int l = s / config.downFactor();
    encode(g, sd.placeHolder("image", DataType.FLOAT, -1, config.inChannels(), s, s), s, s);
    decode(g, sd.placeHolder("latents", DataType.FLOAT, -1, config.latentChannels(), l, l), l, l);
  }

  /**
   * The name and shape of every weight a VAE with {@code config} has, in build order, from its graph
   * built over {@link Parameters#shapesOnly} weights (nothing is allocated).
   */
  public static Map<String, long[]> parameterShapes(AutoencoderKLConfig config) {
    Parameters shapes = Parameters.shapesOnly("VAE parameter shapes");
    GraphBuilder g = new GraphBuilder(org.draft4j.engine.Graphs.create(), shapes, List.of());
    new AutoencoderKL(config, shapes).trace(g);
    return ModelFiles.weightShapes(g.sd(), java.util.Set.of("image", "latents"));
  }

  public AutoencoderKLConfig config() {
    return config;
  }

  public Parameters parameters() {
    return params;
  }

  /** {@code quant_conv(encoder(image))}: moments {@code [B, 2·latent, H/f, W/f]} (mean, then log-variance). */
  public SDVariable encode(GraphBuilder g, SDVariable image, int h, int w) {
    int[] boc = config.blockOutChannels();
    int n = boc.length;
    Blocks b = new Blocks(g, config.normNumGroups(), EPS, null, 0, null, 0, 0);
    SDVariable x = g.conv("encoder.conv_in", image, config.inChannels(), boc[0], 3, 1, 1);
    int ch = boc[0];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < config.layersPerBlock(); j++) {
        x = b.resnet("encoder.down_blocks." + i + ".resnets." + j, x, ch, boc[i], h, w);
        ch = boc[i];
      }
      if (i < n - 1) {
        // diffusers pads (0, 1, 0, 1) then convolves with stride 2 and no padding
        x = padBottomRight(x);
        x = g.conv("encoder.down_blocks." + i + ".downsamplers.0.conv", x, ch, ch, 3, 2, 0);
        h /= 2;
        w /= 2;
      }
    }
    x = mid(g, b, "encoder.mid_block", x, ch, h, w);
    g.segment("encoder.conv_norm_out");
    x = g.groupNorm("encoder.conv_norm_out", x, ch, h, w, config.normNumGroups(), EPS, Activation.SILU);
    x = g.conv("encoder.conv_out", x, ch, 2L * config.latentChannels(), 3, 1, 1);
    return g.conv("quant_conv", x, 2L * config.latentChannels(), 2L * config.latentChannels(), 1, 1, 0);
  }

  private static SDVariable padBottomRight(SDVariable x) {
    SDVariable row = x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all()).mul(0.0);
    x = x.getSameDiff().concat(2, x, row);
    SDVariable col = x.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.interval(0, 1)).mul(0.0);
    return x.getSameDiff().concat(3, x, col);
  }

  private SDVariable mid(GraphBuilder g, Blocks b, String p, SDVariable x, int ch, int h, int w) {
    x = b.resnet(p + ".resnets.0", x, ch, ch, h, w);
    x = b.vaeAttention(p + ".attentions.0", x, ch, h, w);
    return b.resnet(p + ".resnets.1", x, ch, ch, h, w);
  }

  /** {@code decoder(post_quant_conv(z))}: latents {@code [B, latent, h, w]} to images in about [-1, 1]. */
  public SDVariable decode(GraphBuilder g, SDVariable latents, int h, int w) {
    int[] boc = config.blockOutChannels();
    int n = boc.length;
    int lc = config.latentChannels();
    Blocks b = new Blocks(g, config.normNumGroups(), EPS, null, 0, null, 0, 0);
    SDVariable x = g.conv("post_quant_conv", latents, lc, lc, 1, 1, 0);
    int ch = boc[n - 1];
    x = g.conv("decoder.conv_in", x, lc, ch, 3, 1, 1);
    x = mid(g, b, "decoder.mid_block", x, ch, h, w);
    for (int i = 0; i < n; i++) {
      int out = boc[n - 1 - i];
      for (int j = 0; j <= config.layersPerBlock(); j++) {
        x = b.resnet("decoder.up_blocks." + i + ".resnets." + j, x, ch, out, h, w);
        ch = out;
      }
      if (i < n - 1) {
        x = g.upsampleNearest2x(x);
        h *= 2;
        w *= 2;
        x = g.conv("decoder.up_blocks." + i + ".upsamplers.0.conv", x, ch, ch, 3, 1, 1);
      }
    }
    g.segment("decoder.conv_norm_out");
    x = g.groupNorm("decoder.conv_norm_out", x, ch, h, w, config.normNumGroups(), EPS, Activation.SILU);
    return g.conv("decoder.conv_out", x, ch, config.outChannels(), 3, 1, 1);
  }

  /** This VAE as the pipeline's image decoder (differentiable; weights are graph constants). */
  public ImageDecoder asImageDecoder() {
    AutoencoderKL self = this;
    return new ImageDecoder() {
      @Override
      public SDVariable decode(SameDiff sd, SDVariable sample) {
        return decodeImages(new GraphBuilder(sd, params, List.of()), sample);
      }

      @Override
      public SDVariable decode(org.draft4j.spi.RewardGraph graph, SDVariable sample) {
        return decodeImages(graph.builder(params), sample);
      }

      private SDVariable decodeImages(GraphBuilder g, SDVariable sample) {
        long[] s = sample.getShape();
        SDVariable img = self.decode(g, sample.mul(1.0 / config.scalingFactor()), (int) s[2], (int) s[3]);
        return g.sd().math.clipByValue(img.add(1.0).mul(0.5), 0.0, 1.0);
      }

      @Override
      public long imageSize(long sampleSize) {
        return sampleSize * config.downFactor();
      }
    };
  }

  /** Runs the decoder without gradient on an array (convenience for inference and tests). */
  public INDArray decode(INDArray latents) {
    return runOnce(latents, (g, z) -> decode(g, z, (int) latents.size(2), (int) latents.size(3)), "decode");
  }

  /** Runs the encoder without gradient: moments {@code [B, 2·latent, h, w]}. */
  public INDArray encode(INDArray image) {
    return runOnce(image, (g, x) -> encode(g, x, (int) image.size(2), (int) image.size(3)), "encode");
  }

  /** Builds {@code f(input)} once per input shape (engine, shared context) and evaluates it. */
  private synchronized INDArray runOnce(INDArray input, java.util.function.BiFunction<GraphBuilder, SDVariable, SDVariable> f,
      String kind) {
    String key = kind + java.util.Arrays.toString(input.shape());
    org.draft4j.engine.GraphRunner r = runners.get(key);
    if (r == null) {
      org.draft4j.engine.ExecutionContext ctx = org.draft4j.engine.ExecutionContext.shared();
      SameDiff sd = org.draft4j.engine.Graphs.create();
      SDVariable in = sd.placeHolder("in", DataType.FLOAT, input.shape());
      SDVariable out = f.apply(new GraphBuilder(sd, params, List.of(), false, ctx.fusedOps()), in).rename("out");
      r = org.draft4j.engine.GraphRunner.builder(sd).context(ctx).label("vae " + kind).input("in", true).output(out.name())
          .build();
      runners.put(key, r);
    }
    return r.run(Map.of("in", input.castTo(DataType.FLOAT))).outputs().get("out");
  }

  private final Map<String, org.draft4j.engine.GraphRunner> runners = new java.util.HashMap<>();
}
