package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.GraphRunner;
import org.draft4j.engine.Graphs;
import org.draft4j.io.Json;
import org.draft4j.io.TensorStore;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.ClipTextModel;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.WeightFiles;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.draft4j.spi.RewardGraph;
import org.draft4j.text.ClipTokenizer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A CLIP model in Hugging Face's {@code CLIPModel} layout (as PickScore_v1 and openai/clip-vit-large-patch14
 * ship): image tower, text tower, projections and {@code logit_scale}, plus the tokenizer. HPSv2
 * ships an open_clip state dict instead, read by {@link OpenClipCheckpoint}. Used by the
 * prompt-alignment and aesthetic rewards; all weights are graph constants.
 *
 * <p>Its feature graphs (image and text features without gradient) run in {@link org.draft4j.engine.ExecutionContext#shared()}, whose options an
 * application sets once with {@code ExecutionContext.setDefaultOptions}; graphs that train or take
 * gradients are built by callers that pass their own context.
 */
public final class ClipModel {
  private final ClipTextConfig textConfig;
  private final ClipVisionConfig visionConfig;
  private final Parameters params;
  private final ClipTokenizer tokenizer;
  private final int projectionDim;
  private final Map<String, GraphRunner> featureGraphs = new java.util.HashMap<>();

  /** Wires and validates a model: missing, misshapen or unexpected weights fail naming the key. */
  public ClipModel(ClipTextConfig textConfig, ClipVisionConfig visionConfig, int projectionDim, Parameters params,
      ClipTokenizer tokenizer) {
    this.textConfig = textConfig;
    this.visionConfig = visionConfig;
    this.projectionDim = projectionDim;
    this.params = params;
    this.tokenizer = tokenizer;
    buildTowers(textConfig, visionConfig, projectionDim, params, tokenizer.maxLength());
    params.requireAllUsed("position_ids");
  }

  /**
   * Builds both towers and the logit scale over {@code params} once (placeholders for inputs): checks
   * a strict store's weights, or creates an initializing store's.
   */
  private static void buildTowers(ClipTextConfig textConfig, ClipVisionConfig visionConfig, int projectionDim,
      Parameters params, int textLength) {
    SameDiff sd = Graphs.create();
    GraphBuilder g = new GraphBuilder(sd, params, List.of());
    int s = visionConfig.imageSize();
    new ClipVisionModel(visionConfig, params).imageEmbeds(g, sd.placeHolder("px", DataType.FLOAT, -1, 3, s, s));
    textEmbeds(textConfig, projectionDim, g, sd.placeHolder("ids", DataType.INT, -1, textLength),
        sd.placeHolder("eos", DataType.FLOAT, -1, textLength));
    g.weight("logit_scale", new long[] {}, Parameters.Init.ONES, 0);
  }

  /**
   * A CLIP model with random weights at the given sizes (PyTorch defaults for linear layers,
   * N(0, 0.02²) for embeddings and projections, logit scale 1), deterministic in {@code seed}: for
   * benchmarks and tests at published sizes when no weights can be downloaded.
   */
  public static ClipModel random(ClipTextConfig textConfig, ClipVisionConfig visionConfig, int projectionDim,
      ClipTokenizer tokenizer, long seed) {
    Parameters p = Parameters.random(seed);
    buildTowers(textConfig, visionConfig, projectionDim, p, textConfig.maxPositionEmbeddings());
    return new ClipModel(textConfig, visionConfig, projectionDim, Parameters.of(p.asMap(), "random CLIP (seed " + seed
        + ")"), tokenizer);
  }

  /**
   * Loads a Hugging Face CLIP folder: {@code config.json} (with {@code text_config} and
   * {@code vision_config}), {@code vocab.json}, {@code merges.txt} and the weights in whichever
   * form transformers would pick ({@link WeightFiles}: {@code model.safetensors}, its shard index,
   * {@code pytorch_model.bin}, its shard index).
   */
  public static ClipModel load(Path dir) throws IOException {
    return load(ModelFolder.of(dir));
  }

  /** Loads a CLIP folder on disk or on the classpath (see {@link #load(Path)}). */
  public static ClipModel load(ModelFolder dir) {
    return load(dir, null);
  }

  /**
   * Loads a CLIP folder's weights of a variant ({@code "fp16"}: {@code model.fp16.safetensors}, ...;
   * null or empty for the plain ones), see {@link #load(Path)}.
   */
  @SuppressWarnings("unchecked")
  public static ClipModel load(ModelFolder dir, String variant) {
    String cfg = dir.location("config.json");
    Map<String, Object> m = dir.readJson("config.json");
    int proj = ((Number) m.getOrDefault("projection_dim", 512)).intValue();
    ClipTextConfig tc = ClipTextConfig.fromJson((Map<String, Object>) m.getOrDefault("text_config", Map.of()),
        cfg + " text_config");
    ClipVisionConfig vc = ClipVisionConfig.fromJson((Map<String, Object>) m.getOrDefault("vision_config", Map.of()),
        proj, cfg + " vision_config");
    ClipTokenizer tok = tokenizer(dir, tc);
    try (TensorStore f = WeightFiles.open(dir, "", WeightFiles.Naming.TRANSFORMERS, variant)) {
      return new ClipModel(tc, vc, proj, Parameters.of(f.readAllFinite(), f.source()), tok);
    }
  }

  /**
   * The folder's tokenizer: its {@code vocab.json} + {@code merges.txt}, or, for a folder that ships
   * neither (PickScore_v1 and HPSv2 take their processor from another repository), OpenAI's CLIP BPE
   * bundled in draft-core ({@link ClipTokenizer#openAi}), which every CLIP and open_clip model with a
   * 49,408-token vocabulary uses. Another vocabulary size without the files is refused, naming them.
   */
  private static ClipTokenizer tokenizer(ModelFolder dir, ClipTextConfig tc) {
    boolean vocab = dir.exists("vocab.json");
    boolean merges = dir.exists("merges.txt");
    if (vocab || merges) {
      return new ClipTokenizer(ClipTokenizer.readVocab(dir.readString("vocab.json")),
          ClipTokenizer.readMerges(dir.readString("merges.txt")), tc.maxPositionEmbeddings());
    }
    ClipTokenizer openAi = ClipTokenizer.openAi(tc.maxPositionEmbeddings());
    checkArgument(tc.vocabSize() == openAi.vocabSize(), "%s: no vocab.json or merges.txt, and the text tower's"
        + " vocab_size %s is not OpenAI CLIP's %s: copy the tokenizer files of the model into the folder",
        dir.location("."), tc.vocabSize(), openAi.vocabSize());
    return openAi;
  }

  /**
   * Writes a Hugging Face CLIP folder ({@code config.json}, {@code model.safetensors}); the
   * tokenizer files are the caller's ({@code vocab.json}, {@code merges.txt}), written verbatim.
   */
  public void save(Path dir, String vocabJson, String mergesTxt) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> cfg = new java.util.LinkedHashMap<>();
    cfg.put("architectures", List.of("CLIPModel"));
    cfg.put("model_type", "clip");
    cfg.put("projection_dim", projectionDim);
    cfg.put("logit_scale_init_value", 2.6592);
    cfg.put("text_config", textConfig.toJson(tokenizer));
    cfg.put("vision_config", visionConfig.toJson());
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("config.json"), Json.writePretty(cfg));
    org.draft4j.io.Safetensors.write(dir.resolve("model.safetensors"), params.asMap(), Map.of("format", "pt"));
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("vocab.json"), vocabJson);
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("merges.txt"), mergesTxt);
  }

  public ClipVisionConfig visionConfig() {
    return visionConfig;
  }

  public ClipTextConfig textConfig() {
    return textConfig;
  }

  public Parameters parameters() {
    return params;
  }

  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  public int projectionDim() {
    return projectionDim;
  }

  /** {@code exp(logit_scale)}. */
  public double logitScale() {
    return Math.exp(params.get("logit_scale").getDouble(0));
  }

  /** Text embeddings {@code [B, P]}: the last hidden state at the end token, through {@code text_projection}. */
  public SDVariable textEmbeds(GraphBuilder g, SDVariable ids, SDVariable eosOneHot) {
    return textEmbeds(textConfig, projectionDim, g, ids, eosOneHot);
  }

  /**
   * The text tower over a builder's store (for training a CLIP): {@code ids [B, L]} and the one-hot
   * end-token position {@code [B, L]} to {@code [B, projectionDim]}, {@code L = max_position_embeddings}.
   */
  public static SDVariable textEmbeds(ClipTextConfig textConfig, int projectionDim, GraphBuilder g, SDVariable ids,
      SDVariable eosOneHot) {
    int len = textConfig.maxPositionEmbeddings();
    int d = textConfig.hiddenSize();
    SDVariable h = ClipTextModel.forward(textConfig, g, ids, len).reshape(-1, len, d);
    SDVariable pooled = h.mul(eosOneHot.reshape(-1, len, 1)).sum(1);
    SDVariable proj = g.weight("text_projection.weight", new long[] {projectionDim, d}, Parameters.Init.NORMAL_002, 0);
    return g.sd().mmul(pooled, proj, false, true, false);
  }

  /** Image embeddings {@code [B, P]} of images in the library convention, preprocessed as CLIP does. */
  public SDVariable imageEmbeds(RewardGraph rg, SDVariable images, ClipPreprocess pre) {
    GraphBuilder g = rg.builder(params);
    SDVariable px = pre.apply(rg.sd(), images, rg.height(), rg.width());
    return new ClipVisionModel(visionConfig, params).imageEmbeds(g, px);
  }

  /** Text embeddings of the batch's prompts, fed per call (token ids and end-token positions). */
  public SDVariable promptEmbeds(RewardGraph rg) {
    int len = tokenizer.maxLength();
    SDVariable ids = rg.promptInput("clip_input_ids", DataType.INT, ps -> tokenIds(tokenizer, ps), rg.batch(), len);
    SDVariable eos = rg.promptInput("clip_eos_onehot", DataType.FLOAT, ps -> eosOneHot(tokenizer, ps), rg.batch(),
        len);
    return textEmbeds(rg.builder(params), ids, eos);
  }

  /**
   * L2-normalized image features {@code [B, P]} of images {@code [B,3,H,W]} in [0,1] (no gradient),
   * preprocessed as {@link Rewards#pickScore(ClipModel)} does ({@link ClipPreprocess#huggingFace}).
   */
  public synchronized INDArray imageFeatures(INDArray images) {
    checkArgument(images.rank() == 4 && images.size(1) == 3, "images must be [B,3,H,W], got %s",
        java.util.Arrays.toString(images.shape()));
    String key = "img_" + images.size(2) + "x" + images.size(3);
    GraphRunner r = featureGraphs.computeIfAbsent(key, k -> {
      ExecutionContext ctx = ExecutionContext.shared();
      SameDiff g = Graphs.create();
      SDVariable x = g.placeHolder("images", DataType.FLOAT, -1, 3, images.size(2), images.size(3));
      SDVariable px = ClipPreprocess.huggingFace(visionConfig.imageSize()).apply(g, x, images.size(2), images.size(3));
      normalize(new ClipVisionModel(visionConfig, params).imageEmbeds(
          new GraphBuilder(g, params, List.of(), false, ctx.fusedOps()), px)).rename("features");
      return GraphRunner.builder(g).context(ctx).label("clip image features").input("images", true)
          .output("features").build();
    });
    return r.run(Map.of("images", images.castTo(DataType.FLOAT))).outputs().get("features");
  }

  /** L2-normalized text features {@code [B, P]} of prompts (no gradient). */
  public synchronized INDArray textFeatures(List<String> prompts) {
    checkArgument(!prompts.isEmpty(), "no prompts to encode");
    GraphRunner r = featureGraphs.computeIfAbsent("text", k -> {
      ExecutionContext ctx = ExecutionContext.shared();
      SameDiff g = Graphs.create();
      int len = tokenizer.maxLength();
      normalize(textEmbeds(new GraphBuilder(g, params, List.of(), false, ctx.fusedOps()),
          g.placeHolder("ids", DataType.INT, -1, len), g.placeHolder("eos", DataType.FLOAT, -1, len)))
          .rename("features");
      return GraphRunner.builder(g).context(ctx).label("clip text features").input("ids", true).input("eos", true)
          .output("features").build();
    });
    return r.run(Map.of("ids", tokenIds(tokenizer, prompts), "eos", eosOneHot(tokenizer, prompts))).outputs()
        .get("features");
  }

  /** Token ids {@code [B, L]} (int) of prompts, padded as CLIP pads. */
  public static INDArray tokenIds(ClipTokenizer tokenizer, List<String> prompts) {
    int[][] a = new int[prompts.size()][];
    for (int i = 0; i < a.length; i++) {
      a[i] = tokenizer.encodePadded(prompts.get(i));
    }
    return Nd4j.createFromArray(a).castTo(DataType.INT);
  }

  /** One-hot {@code [B, L]} of each prompt's first end token (CLIP's pooling position). */
  public static INDArray eosOneHot(ClipTokenizer tokenizer, List<String> prompts) {
    int len = tokenizer.maxLength();
    float[] v = new float[prompts.size() * len];
    for (int i = 0; i < prompts.size(); i++) {
      int[] t = tokenizer.encodePadded(prompts.get(i));
      int at = len - 1;
      for (int j = 0; j < len; j++) {
        if (t[j] == tokenizer.eosId()) {
          at = j;
          break;
        }
      }
      v[i * len + at] = 1f;
    }
    return Nd4j.create(v, new long[] {prompts.size(), len}, 'c');
  }

  /** Row-wise L2 normalization. */
  public static SDVariable normalize(SDVariable x) {
    // x·(1/‖x‖), not x/‖x‖: ND4J's divide_bp is wrong for a one-element divisor (batch 1)
    return x.mul(x.getSameDiff().math.reciprocal(x.norm2(true, 1).add(1e-12)));
  }

  static INDArray scalar(double v) {
    return Nd4j.scalar((float) v);
  }
}
