package org.draft4j.rewards;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.ClipTextModel;
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
 * A CLIP model (Hugging Face {@code CLIPModel} layout, as PickScore_v1 and HPSv2 ship): image tower,
 * text tower, projections and {@code logit_scale} in one weights file, plus the tokenizer. Used by
 * the prompt-alignment and aesthetic rewards; all weights are graph constants.
 */
public final class ClipModel {
  private final ClipTextConfig textConfig;
  private final ClipVisionConfig visionConfig;
  private final Parameters params;
  private final ClipTokenizer tokenizer;
  private final int projectionDim;

  /** Wires and validates a model: missing, misshapen or unexpected weights fail naming the key. */
  public ClipModel(ClipTextConfig textConfig, ClipVisionConfig visionConfig, int projectionDim, Parameters params,
      ClipTokenizer tokenizer) {
    this.textConfig = textConfig;
    this.visionConfig = visionConfig;
    this.projectionDim = projectionDim;
    this.params = params;
    this.tokenizer = tokenizer;
    SameDiff sd = SameDiff.create();
    GraphBuilder g = new GraphBuilder(sd, params, List.of());
    int s = visionConfig.imageSize();
    new ClipVisionModel(visionConfig, params).imageEmbeds(g, sd.placeHolder("px", DataType.FLOAT, -1, 3, s, s));
    textEmbeds(g, sd.placeHolder("ids", DataType.INT, -1, tokenizer.maxLength()),
        sd.placeHolder("eos", DataType.FLOAT, -1, tokenizer.maxLength()));
    g.weight("logit_scale", new long[] {}, Parameters.Init.ONES, 0);
    params.requireAllUsed("position_ids");
  }

  /**
   * Loads a Hugging Face CLIP folder: {@code config.json} (with {@code text_config} and
   * {@code vision_config}), {@code model.safetensors}, {@code vocab.json} and {@code merges.txt}.
   */
  @SuppressWarnings("unchecked")
  public static ClipModel load(Path dir) throws IOException {
    Path cfg = dir.resolve("config.json");
    Map<String, Object> m = Json.parseObject(Files.readString(cfg));
    int proj = ((Number) m.getOrDefault("projection_dim", 512)).intValue();
    ClipTextConfig tc = ClipTextConfig.fromJson((Map<String, Object>) m.getOrDefault("text_config", Map.of()),
        cfg + " text_config");
    ClipVisionConfig vc = ClipVisionConfig.fromJson((Map<String, Object>) m.getOrDefault("vision_config", Map.of()),
        proj, cfg + " vision_config");
    Path w = dir.resolve("model.safetensors");
    ClipTokenizer tok = ClipTokenizer.load(dir.resolve("vocab.json"), dir.resolve("merges.txt"),
        tc.maxPositionEmbeddings());
    try (SafetensorsFile f = SafetensorsFile.open(w)) {
      return new ClipModel(tc, vc, proj, Parameters.of(f.readAll(), w.toString()), tok);
    }
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
    int len = tokenizer.maxLength();
    int d = textConfig.hiddenSize();
    SDVariable h = ClipTextModel.forward(textConfig, g, ids, len).reshape(-1, len, d);
    SDVariable pooled = h.mul(eosOneHot.reshape(-1, len, 1)).sum(1);
    SDVariable proj = g.weight("text_projection.weight", new long[] {projectionDim, d}, Parameters.Init.NORMAL_002, 0);
    return g.sd().mmul(pooled, proj, false, true, false);
  }

  /** Image embeddings {@code [B, P]} of images in the library convention, preprocessed as CLIP does. */
  public SDVariable imageEmbeds(RewardGraph rg, SDVariable images, ClipPreprocess pre) {
    GraphBuilder g = new GraphBuilder(rg.sd(), params, List.of());
    SDVariable px = pre.apply(rg.sd(), images, rg.height(), rg.width());
    return new ClipVisionModel(visionConfig, params).imageEmbeds(g, px);
  }

  /** Text embeddings of the batch's prompts, fed per call (token ids and end-token positions). */
  public SDVariable promptEmbeds(RewardGraph rg) {
    int len = tokenizer.maxLength();
    SDVariable ids = rg.promptInput("clip_input_ids", DataType.INT, ps -> {
      int[][] a = new int[ps.size()][];
      for (int i = 0; i < a.length; i++) {
        a[i] = tokenizer.encodePadded(ps.get(i));
      }
      return Nd4j.createFromArray(a).castTo(DataType.INT);
    }, rg.batch(), len);
    SDVariable eos = rg.promptInput("clip_eos_onehot", DataType.FLOAT, ps -> {
      float[] v = new float[ps.size() * len];
      for (int i = 0; i < ps.size(); i++) {
        int[] t = tokenizer.encodePadded(ps.get(i));
        int at = len - 1;
        for (int j = 0; j < len; j++) {
          if (t[j] == tokenizer.eosId()) {
            at = j;
            break;
          }
        }
        v[i * len + at] = 1f;
      }
      return Nd4j.create(v, new long[] {ps.size(), len}, 'c');
    }, rg.batch(), len);
    return textEmbeds(new GraphBuilder(rg.sd(), params, List.of()), ids, eos);
  }

  /** Row-wise L2 normalization. */
  static SDVariable normalize(SDVariable x) {
    return x.div(x.norm2(true, 1).add(1e-12));
  }

  static INDArray scalar(double v) {
    return Nd4j.scalar((float) v);
  }
}
