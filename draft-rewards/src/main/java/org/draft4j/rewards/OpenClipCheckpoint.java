package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.io.TensorStore;
import org.draft4j.nn.Parameters;
import org.draft4j.text.ClipTokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * An open_clip ViT CLIP state dict (HPSv2's {@code HPS_v2_compressed.pt} / {@code HPS_v2.1_compressed.pt},
 * a LAION open_clip checkpoint) loaded as a {@link ClipModel}, read straight from the file in any
 * format {@link TensorStore#open} reads. Keys may sit under one prefix ({@code state_dict.},
 * {@code module.}); keys outside it (optimizer state, epoch) are ignored. open_clip's names map to
 * Hugging Face's:
 * <ul>
 *   <li>{@code visual.conv1} → {@code vision_model.embeddings.patch_embedding}, {@code visual.class_embedding},
 *       {@code visual.positional_embedding} → {@code position_embedding.weight}, {@code ln_pre} →
 *       {@code pre_layrnorm}, {@code ln_post} → {@code post_layernorm};
 *   <li>{@code [visual.]transformer.resblocks.i}: {@code ln_1}/{@code ln_2} → {@code layer_norm1}/{@code 2},
 *       {@code attn.in_proj_weight [3d, d]} (rows q; k; v, as {@code nn.MultiheadAttention}) and
 *       {@code in_proj_bias} → {@code self_attn.q_proj}/{@code k_proj}/{@code v_proj},
 *       {@code attn.out_proj} → {@code self_attn.out_proj}, {@code mlp.c_fc}/{@code c_proj} → {@code mlp.fc1}/{@code fc2};
 *   <li>{@code token_embedding}, {@code positional_embedding}, {@code ln_final} → {@code final_layer_norm};
 *   <li>{@code visual.proj [d, E]} and {@code text_projection [d, E]} (used as {@code x @ P}) →
 *       {@code visual_projection.weight} and {@code text_projection.weight}, transposed to {@code [E, d]};
 *       {@code logit_scale} as is.
 * </ul>
 * open_clip pools text at {@code argmax(ids)} (the end token is the highest id) where
 * {@link ClipModel} pools at the first end token: the same position for OpenAI's vocabulary. It pads
 * with 0 where {@link ClipTokenizer} pads with the end token; under the causal mask, tokens after
 * the pooled one do not change it. Errors name the file, the key and both shapes; nothing partly
 * built is returned.
 */
public final class OpenClipCheckpoint {
  private OpenClipCheckpoint() {}

  /** The key every open_clip ViT CLIP has, used to find the state dict's prefix. */
  static final String ANCHOR = "visual.conv1.weight";

  /**
   * Loads a checkpoint whose sizes match a published open_clip config ({@link OpenClipConfig#infer}),
   * with OpenAI's tokenizer ({@link ClipTokenizer#openAi}) at the file's context length.
   */
  public static ClipModel load(Path file) {
    try (TensorStore s = TensorStore.open(file)) {
      String prefix = prefix(s);
      OpenClipConfig c = OpenClipConfig.infer(shapes(s, prefix), s.source());
      return load(s, prefix, c, ClipTokenizer.openAi(c.contextLength()));
    }
  }

  /** Loads a checkpoint with its open_clip model-config JSON and OpenAI's tokenizer. */
  public static ClipModel load(Path file, Path modelConfigJson) throws IOException {
    OpenClipConfig c = OpenClipConfig.load(modelConfigJson);
    return load(file, c, ClipTokenizer.openAi(c.contextLength()));
  }

  /**
   * Loads a checkpoint with a given config and tokenizer; the tokenizer's length must be the
   * config's context length and its vocabulary must fit the token embedding.
   */
  public static ClipModel load(Path file, OpenClipConfig config, ClipTokenizer tokenizer) {
    try (TensorStore s = TensorStore.open(file)) {
      return load(s, prefix(s), config, tokenizer);
    }
  }

  private static ClipModel load(TensorStore s, String prefix, OpenClipConfig c, ClipTokenizer tokenizer) {
    checkArgument(tokenizer.maxLength() == c.contextLength(), "%s: tokenizer length %s differs from the context "
        + "length %s", s.source(), tokenizer.maxLength(), c.contextLength());
    checkArgument(tokenizer.vocabSize() <= c.vocabSize(), "%s: tokenizer of %s tokens for a token embedding of %s",
        s.source(), tokenizer.vocabSize(), c.vocabSize());
    Map<String, INDArray> hf = toHuggingFace(s, prefix, c);
    return new ClipModel(c.textConfig(), c.visionConfig(), c.embedDim(), Parameters.of(hf, s.source()), tokenizer);
  }

  /**
   * The prefix ({@code ""}, {@code "state_dict."}, ...) under which {@code s} holds an open_clip
   * state dict, found from {@code visual.conv1.weight}; a file without it is refused naming a few
   * of its keys.
   */
  static String prefix(TensorStore s) {
    List<String> found = s.keys().stream().filter(k -> k.equals(ANCHOR) || k.endsWith("." + ANCHOR)).toList();
    checkArgument(found.size() == 1, "%s: not an open_clip ViT CLIP state dict: %s \"%s\" (%s keys, e.g. %s)",
        s.source(), found.isEmpty() ? "no" : found.size() + " keys ending in", ANCHOR, s.keys().size(),
        found.isEmpty() ? s.keys().stream().limit(5).toList() : found);
    String k = found.get(0);
    return k.substring(0, k.length() - ANCHOR.length());
  }

  /** The shapes of the keys under {@code prefix}, with the prefix removed. */
  static Map<String, long[]> shapes(TensorStore s, String prefix) {
    Map<String, long[]> m = new LinkedHashMap<>();
    for (String k : s.keys()) {
      if (k.startsWith(prefix)) {
        m.put(k.substring(prefix.length()), s.shape(k));
      }
    }
    return m;
  }

  /**
   * The state dict under {@code prefix} renamed to Hugging Face's {@code CLIPModel} keys, each
   * tensor checked against {@code c} first; keys the mapping does not consume are refused
   * (naming the first), except open_clip's {@code attn_mask} buffer.
   */
  static Map<String, INDArray> toHuggingFace(TensorStore s, String prefix, OpenClipConfig c) {
    Reader r = new Reader(s, prefix);
    Map<String, INDArray> out = new LinkedHashMap<>();
    int vd = c.visionWidth();
    int td = c.textWidth();
    String ve = "vision_model.embeddings.";
    out.put(ve + "patch_embedding.weight", r.get("visual.conv1.weight", vd, 3, c.patchSize(), c.patchSize()));
    out.put(ve + "class_embedding", r.get("visual.class_embedding", vd));
    int n = c.imageSize() / c.patchSize();
    out.put(ve + "position_embedding.weight", r.get("visual.positional_embedding", n * n + 1, vd));
    layerNorm(r, "visual.ln_pre", "vision_model.pre_layrnorm", vd, out);
    for (int i = 0; i < c.visionLayers(); i++) {
      block(r, "visual.transformer.resblocks." + i + ".", "vision_model.encoder.layers." + i + ".", vd,
          c.visionMlpWidth(), out);
    }
    layerNorm(r, "visual.ln_post", "vision_model.post_layernorm", vd, out);
    out.put("visual_projection.weight", r.get("visual.proj", vd, c.embedDim()).transpose().dup('c'));
    String te = "text_model.embeddings.";
    out.put(te + "token_embedding.weight", r.get("token_embedding.weight", c.vocabSize(), td));
    out.put(te + "position_embedding.weight", r.get("positional_embedding", c.contextLength(), td));
    for (int i = 0; i < c.textLayers(); i++) {
      block(r, "transformer.resblocks." + i + ".", "text_model.encoder.layers." + i + ".", td, c.textMlpWidth(), out);
    }
    layerNorm(r, "ln_final", "text_model.final_layer_norm", td, out);
    out.put("text_projection.weight", r.get("text_projection", td, c.embedDim()).transpose().dup('c'));
    out.put("logit_scale", r.get("logit_scale"));
    r.requireAllRead("attn_mask");
    return out;
  }

  private static void block(Reader r, String from, String to, int d, int mlp, Map<String, INDArray> out) {
    layerNorm(r, from + "ln_1", to + "layer_norm1", d, out);
    INDArray w = r.get(from + "attn.in_proj_weight", 3L * d, d);
    INDArray b = r.get(from + "attn.in_proj_bias", 3L * d);
    String[] names = {"q_proj", "k_proj", "v_proj"};
    for (int j = 0; j < 3; j++) {
      out.put(to + "self_attn." + names[j] + ".weight",
          w.get(NDArrayIndex.interval((long) j * d, (long) (j + 1) * d), NDArrayIndex.all()).dup('c'));
      out.put(to + "self_attn." + names[j] + ".bias",
          b.get(NDArrayIndex.interval((long) j * d, (long) (j + 1) * d)).dup('c'));
    }
    linear(r, from + "attn.out_proj", to + "self_attn.out_proj", d, d, out);
    layerNorm(r, from + "ln_2", to + "layer_norm2", d, out);
    linear(r, from + "mlp.c_fc", to + "mlp.fc1", d, mlp, out);
    linear(r, from + "mlp.c_proj", to + "mlp.fc2", mlp, d, out);
  }

  private static void linear(Reader r, String from, String to, int in, int outDim, Map<String, INDArray> out) {
    out.put(to + ".weight", r.get(from + ".weight", outDim, in));
    out.put(to + ".bias", r.get(from + ".bias", outDim));
  }

  private static void layerNorm(Reader r, String from, String to, int d, Map<String, INDArray> out) {
    out.put(to + ".weight", r.get(from + ".weight", d));
    out.put(to + ".bias", r.get(from + ".bias", d));
  }

  /** Reads keys under a prefix, checking shapes, and remembers which were read. */
  private static final class Reader {
    private final TensorStore s;
    private final String prefix;
    private final java.util.Set<String> read = new java.util.HashSet<>();

    Reader(TensorStore s, String prefix) {
      this.s = s;
      this.prefix = prefix;
    }

    INDArray get(String key, long... shape) {
      String k = prefix + key;
      checkArgument(s.contains(k), "%s: missing \"%s\" of shape %s; not an open_clip ViT CLIP of this config",
          s.source(), k, Arrays.toString(shape));
      long[] found = s.shape(k);
      checkArgument(Arrays.equals(found, shape), "%s: \"%s\" has shape %s, the config needs %s", s.source(), k,
          Arrays.toString(found), Arrays.toString(shape));
      read.add(k);
      return s.get(k);
    }

    void requireAllRead(String ignored) {
      List<String> extra = s.keys().stream()
          .filter(k -> k.startsWith(prefix) && !read.contains(k) && !k.equals(prefix + ignored)).toList();
      checkArgument(extra.isEmpty(), "%s: unexpected \"%s\" (%s keys this config does not use, e.g. layer scale, "
          + "a CLS text token or another architecture)", s.source(), extra.isEmpty() ? "" : extra.get(0), extra.size());
    }
  }
}
