package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Hugging Face {@code CLIPTextModel}: token + position embeddings, a pre-LayerNorm transformer with
 * causal self-attention and (quick) GELU MLPs, and a final LayerNorm; the output is
 * {@code last_hidden_state [B, L, hidden]}, which Stable Diffusion uses as cross-attention context.
 * Parameters carry HF names ({@code text_model.embeddings.token_embedding.weight},
 * {@code text_model.encoder.layers.i.self_attn.q_proj}, {@code text_model.final_layer_norm}).
 *
 * <p>Its text-encoding graph run in {@link org.draft4j.engine.ExecutionContext#shared()}, whose options an
 * application sets once with {@code ExecutionContext.setDefaultOptions}; graphs that train or take
 * gradients are built by callers that pass their own context.
 */
public final class ClipTextModel {
  /** Hugging Face's weights file name inside a model folder. */
  public static final String WEIGHTS_FILE = "model.safetensors";
  private final ClipTextConfig config;
  private final Parameters params;
  private org.draft4j.engine.GraphRunner runner;
  private int graphLen = -1;

  private ClipTextModel(ClipTextConfig config, Parameters params) {
    this.config = config;
    this.params = params;
  }

  /** Random weights as CLIP initializes them (N(0, 0.02²) embeddings), deterministic in {@code seed}. */
  public static ClipTextModel random(ClipTextConfig config, long seed) {
    ClipTextModel m = new ClipTextModel(config, Parameters.random(seed));
    m.compile(config.maxPositionEmbeddings());
    return m;
  }

  /** A model over given weights; missing, misshapen or unexpected keys are refused naming the first. */
  public static ClipTextModel of(ClipTextConfig config, Parameters params) {
    ClipTextModel m = new ClipTextModel(config, params);
    m.compile(config.maxPositionEmbeddings());
    params.requireAllUsed("position_ids");
    return m;
  }

  /** Loads a Hugging Face folder ({@code config.json} + weights in any form {@link WeightFiles} finds). */
  public static ClipTextModel load(Path dir) throws IOException {
    return of(ClipTextConfig.load(dir.resolve("config.json")),
        ModelFiles.readWeights(ModelFolder.of(dir), WeightFiles.Naming.TRANSFORMERS, null));
  }

  /** Writes a Hugging Face folder (the config without special-token ids; prefer {@link #save(Path, ClipTokenizer)}). */
  public void save(Path dir) throws IOException {
    ModelFiles.write(dir, config.toJson(), "model", params, WeightsFormat.F32);
  }

  /** Writes a Hugging Face folder whose config names the tokenizer's bos/eos/pad ids. */
  public void save(Path dir, org.draft4j.text.ClipTokenizer tokenizer) throws IOException {
    save(dir, tokenizer, WeightsFormat.F32);
  }

  /** As {@link #save(Path, org.draft4j.text.ClipTokenizer)} with the weights in {@code format}. */
  public void save(Path dir, org.draft4j.text.ClipTokenizer tokenizer, WeightsFormat format) throws IOException {
    ModelFiles.write(dir, config.toJson(tokenizer), "model", params, format);
  }

  public ClipTextConfig config() {
    return config;
  }

  public Parameters parameters() {
    return params;
  }

  /** Adds the encoder to a graph: {@code ids [B, L]} (int) to {@code last_hidden_state [B*L, hidden]}. */
  public SDVariable forward(GraphBuilder g, SDVariable ids, int len) {
    return forward(config, g, ids, len);
  }

  /**
   * The encoder for a config over the builder's parameter store (weights under {@code text_model.*}),
   * for stores that hold more than a text encoder (a full CLIP model).
   */
  public static SDVariable forward(ClipTextConfig c, GraphBuilder g, SDVariable ids, int len) {
    int d = c.hiddenSize();
    String e = "text_model.embeddings.";
    SDVariable tok = g.weight(e + "token_embedding.weight", new long[] {c.vocabSize(), d}, Parameters.Init.NORMAL_002, 0);
    SDVariable pos = g.weight(e + "position_embedding.weight", new long[] {c.maxPositionEmbeddings(), d},
        Parameters.Init.NORMAL_002, 0);
    SameDiff sd = g.sd();
    // a trainable table is read through a one-hot product: M2.1's gather backward fails on it
    SDVariable x = g.baseTrainable()
        ? sd.mmul(sd.oneHot(ids.reshape(-1), c.vocabSize()), tok) // [B*L, d]
        : sd.gather(tok, ids.reshape(-1), 0);
    // the full table needs no slice (M2.1's strided-slice backward on a trainable variable fails)
    SDVariable p = len == c.maxPositionEmbeddings() ? pos : pos.get(org.nd4j.autodiff.samediff.SDIndex.interval(0, len));
    x = x.reshape(-1, len, d).add(p).reshape(-1, d);
    INDArray mask = GraphBuilder.causalMask(len);
    int heads = c.numAttentionHeads();
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      x = ClipEncoderLayer.forward(g, "text_model.encoder.layers." + i + ".", x, len, d, c.intermediateSize(), heads,
          mask, c.hiddenAct(), c.layerNormEps());
    }
    return g.layerNorm("text_model.final_layer_norm", x, d, c.layerNormEps());
  }

  /**
   * The name and shape of every weight a text encoder with {@code config} has, in build order, from
   * its graph built over {@link Parameters#shapesOnly} weights (nothing is allocated); HF's
   * {@code position_ids} buffer is not a weight and is not listed.
   */
  public static Map<String, long[]> parameterShapes(ClipTextConfig config) {
    Parameters shapes = Parameters.shapesOnly("text encoder parameter shapes");
    GraphBuilder g = new GraphBuilder(org.draft4j.engine.Graphs.create(), shapes, List.of());
    int len = config.maxPositionEmbeddings();
    forward(config, g, g.sd().placeHolder("input_ids", DataType.INT, -1, len), len);
    return ModelFiles.weightShapes(g.sd(), java.util.Set.of("input_ids"));
  }

  /** Builds (once per sequence length) the encoder graph; the engine compiles it per batch size. */
  private synchronized org.draft4j.engine.GraphRunner compile(int len) {
    if (runner == null || graphLen != len) {
      if (runner != null) {
        runner.close();
      }
      org.draft4j.engine.ExecutionContext ctx = org.draft4j.engine.ExecutionContext.shared();
      SameDiff sd = org.draft4j.engine.Graphs.create();
      GraphBuilder g = new GraphBuilder(sd, params, List.of(), false, ctx.fusedOps());
      SDVariable ids = sd.placeHolder("input_ids", DataType.INT, -1, len);
      forward(g, ids, len).rename("last_hidden_state");
      runner = org.draft4j.engine.GraphRunner.builder(sd).context(ctx).label("clip text encoder").input("input_ids", true)
          .output("last_hidden_state").build();
      graphLen = len;
    }
    return runner;
  }

  /** Encodes token ids {@code [B, L]} to {@code last_hidden_state [B, L, hidden]} (no gradient). */
  public synchronized INDArray encode(int[][] ids) {
    checkArgument(ids.length > 0, "no token sequences to encode");
    int len = ids[0].length;
    checkArgument(len <= config.maxPositionEmbeddings(), "sequence length %s exceeds max_position_embeddings %s", len,
        config.maxPositionEmbeddings());
    for (int[] row : ids) {
      checkArgument(row.length == len, "token sequences differ in length (%s vs %s)", row.length, len);
      for (int id : row) {
        checkArgument(id >= 0 && id < config.vocabSize(), "token id %s outside [0, %s)", id, config.vocabSize());
      }
    }
    INDArray in = Nd4j.createFromArray(ids).castTo(DataType.INT);
    INDArray out = compile(len).run(Map.of("input_ids", in)).outputs().get("last_hidden_state");
    return out.reshape(ids.length, len, config.hiddenSize());
  }
}
