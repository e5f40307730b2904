package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.draft4j.io.Json;
import org.draft4j.models.ClipTextConfig;

/**
 * The sizes of an open_clip ViT CLIP ({@code open_clip.CLIP}: a ViT image tower and open_clip's own
 * text transformer), as its model-config JSON ({@code ViT-H-14.json}) gives them or as
 * {@link #infer} reads them off a state dict's shapes. MLP widths are {@code int(width · mlp_ratio)};
 * vision heads are {@code width / head_width}. The activation is exact GELU unless the config sets
 * {@code quick_gelu} (open_clip's rule: only the {@code -quickgelu} configs, for OpenAI-trained
 * weights, use {@code x·σ(1.702x)}); LayerNorm eps is PyTorch's 1e-5.
 */
public record OpenClipConfig(
    int embedDim,
    int imageSize,
    int patchSize,
    int visionWidth,
    int visionLayers,
    int visionHeads,
    int visionMlpWidth,
    int contextLength,
    int vocabSize,
    int textWidth,
    int textLayers,
    int textHeads,
    int textMlpWidth,
    boolean quickGelu) {
  /** PyTorch's {@code nn.LayerNorm} default, which open_clip uses. */
  static final double LAYER_NORM_EPS = 1e-5;

  public OpenClipConfig {
    checkArgument(embedDim > 0, "embed_dim = %s must be positive", embedDim);
    checkArgument(patchSize > 0 && imageSize > 0 && imageSize % patchSize == 0,
        "vision_cfg image_size = %s must be a positive multiple of patch_size = %s", imageSize, patchSize);
    checkArgument(visionHeads > 0 && visionWidth % visionHeads == 0,
        "vision_cfg width = %s must be a multiple of its %s heads", visionWidth, visionHeads);
    checkArgument(textHeads > 0 && textWidth % textHeads == 0, "text_cfg width = %s must be a multiple of heads = %s",
        textWidth, textHeads);
    checkArgument(visionLayers >= 1 && textLayers >= 1, "layers (vision %s, text %s) must be >= 1", visionLayers,
        textLayers);
    checkArgument(visionMlpWidth > 0 && textMlpWidth > 0, "MLP widths (vision %s, text %s) must be positive",
        visionMlpWidth, textMlpWidth);
    checkArgument(contextLength >= 2 && vocabSize > 0, "text_cfg context_length = %s must be >= 2, vocab_size = %s "
        + "positive", contextLength, vocabSize);
  }

  /** {@code "gelu"} or {@code "quick_gelu"}, as the Hugging Face configs name them. */
  public String hiddenAct() {
    return quickGelu ? "quick_gelu" : "gelu";
  }

  /** The text tower as a Hugging Face {@code CLIPTextConfig}. */
  public ClipTextConfig textConfig() {
    return new ClipTextConfig(vocabSize, textWidth, textMlpWidth, textLayers, textHeads, contextLength, hiddenAct(),
        LAYER_NORM_EPS);
  }

  /** The image tower as a Hugging Face {@code CLIPVisionConfig}. */
  public ClipVisionConfig visionConfig() {
    return new ClipVisionConfig(visionWidth, visionMlpWidth, visionLayers, visionHeads, imageSize, patchSize, embedDim,
        hiddenAct(), LAYER_NORM_EPS);
  }

  /** Reads an open_clip model-config JSON file. */
  public static OpenClipConfig load(Path json) throws IOException {
    return fromJson(Json.parseObject(Files.readString(json)), json.toString());
  }

  /**
   * Parses an open_clip model config ({@code embed_dim}, {@code quick_gelu}, {@code vision_cfg},
   * {@code text_cfg}) with open_clip's defaults for absent keys. Options that change the
   * architecture away from the plain ViT CLIP (a timm or Hugging Face tower, a ResNet, layer
   * scale, attentional or average pooling, a CLS text token, a CoCa decoder, ...) are refused,
   * naming the key and its value; keys without effect at inference are ignored.
   */
  @SuppressWarnings("unchecked")
  public static OpenClipConfig fromJson(Map<String, Object> m, String source) {
    checkArgument(!m.containsKey("multimodal_cfg"), "%s: multimodal_cfg (a CoCa model) is not supported; only the "
        + "ViT CLIP is", source);
    Object vo = m.get("vision_cfg");
    Object to = m.get("text_cfg");
    checkArgument(vo instanceof Map && to instanceof Map, "%s: vision_cfg and text_cfg must be JSON objects, found %s "
        + "and %s", source, vo, to);
    Map<String, Object> v = (Map<String, Object>) vo;
    Map<String, Object> t = (Map<String, Object>) to;
    String vs = source + " vision_cfg";
    String ts = source + " text_cfg";
    checkArgument(!(v.get("layers") instanceof List), "%s: layers = %s is a ModifiedResNet; only ViT towers are "
        + "supported", vs, v.get("layers"));
    for (String k : List.of("timm_model_name", "ls_init_value", "act_kwargs", "norm_kwargs")) {
      requireDefault(v, k, null, vs);
    }
    for (String k : List.of("input_patchnorm", "global_average_pool", "attentional_pool", "no_ln_pre",
        "final_ln_after_pool", "qk_norm", "scaled_cosine_attn", "scale_heads", "scale_attn_inner", "scale_attn",
        "scale_fc")) {
      requireDefault(v, k, false, vs);
    }
    requireDefault(v, "pool_type", "tok", vs);
    requireDefault(v, "pos_embed_type", "learnable", vs);
    for (String k : List.of("hf_model_name", "ls_init_value", "act_kwargs", "norm_kwargs")) {
      requireDefault(t, k, null, ts);
    }
    for (String k : List.of("embed_cls", "no_causal_mask", "final_ln_after_pool", "proj_bias", "qk_norm",
        "scaled_cosine_attn", "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc")) {
      requireDefault(t, k, false, ts);
    }
    requireDefault(t, "pool_type", "argmax", ts);
    requireDefault(t, "proj_type", "linear", ts);
    int vWidth = integer(v, "width", 768, vs);
    int tWidth = integer(t, "width", 512, ts);
    int headWidth = integer(v, "head_width", 64, vs);
    checkArgument(headWidth > 0 && vWidth % headWidth == 0, "%s: width = %s is not a multiple of head_width = %s",
        vs, vWidth, headWidth);
    Object quick = m.getOrDefault("quick_gelu", false);
    checkArgument(quick instanceof Boolean, "%s: quick_gelu = %s must be true or false", source, quick);
    return new OpenClipConfig(integer(m, "embed_dim", 512, source), integer(v, "image_size", 224, vs),
        integer(v, "patch_size", 16, vs), vWidth, integer(v, "layers", 12, vs), vWidth / headWidth,
        (int) (vWidth * number(v, "mlp_ratio", 4.0, vs)), integer(t, "context_length", 77, ts),
        integer(t, "vocab_size", 49408, ts), tWidth, integer(t, "layers", 12, ts), integer(t, "heads", 8, ts),
        (int) (tWidth * number(t, "mlp_ratio", 4.0, ts)), (Boolean) quick);
  }

  /**
   * The config of an open_clip state dict (open_clip's key names, any prefix already removed) from
   * its shapes: widths, layers, patch and image size, context length, vocabulary and MLP widths are
   * read off the tensors, as open_clip's {@code build_model_from_openai_state_dict} does. Head
   * counts are not in the shapes: they are taken from the open_clip model config of the same sizes
   * ({@link #PUBLISHED}); other sizes are refused, naming them, so that the model-config JSON is
   * passed instead. The activation is GELU (the {@code -quickgelu} configs share their sizes with
   * the GELU ones; for OpenAI-trained weights pass that config).
   */
  public static OpenClipConfig infer(Map<String, long[]> shapes, String source) {
    long[] conv = shape(shapes, "visual.conv1.weight", 4, source);
    long[] vpos = shape(shapes, "visual.positional_embedding", 2, source);
    long[] vproj = shape(shapes, "visual.proj", 2, source);
    long[] vfc = shape(shapes, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2, source);
    long[] tok = shape(shapes, "token_embedding.weight", 2, source);
    long[] tpos = shape(shapes, "positional_embedding", 2, source);
    long[] tfc = shape(shapes, "transformer.resblocks.0.mlp.c_fc.weight", 2, source);
    shape(shapes, "text_projection", 2, source);
    int vWidth = (int) conv[0];
    int patch = (int) conv[3];
    long grid = Math.round(Math.sqrt(vpos[0] - 1));
    checkArgument(grid * grid + 1 == vpos[0], "%s: visual.positional_embedding has %s rows, not a square grid plus "
        + "the class token", source, vpos[0]);
    int tWidth = (int) tok[1];
    int embed = (int) vproj[1];
    OpenClipConfig sizes = new OpenClipConfig(embed, (int) (grid * patch), patch, vWidth,
        layers(shapes, "visual.transformer.resblocks."), 1, (int) vfc[0], (int) tpos[0], (int) tok[0], tWidth,
        layers(shapes, "transformer.resblocks."), 1, (int) tfc[0], false);
    for (Map.Entry<String, OpenClipConfig> e : PUBLISHED.entrySet()) {
      OpenClipConfig p = e.getValue();
      if (p.withHeads(1, 1).equals(sizes)) {
        return p;
      }
    }
    throw new IllegalArgumentException(source + ": no published open_clip model config has these sizes ("
        + sizes.describe() + "), and head counts cannot be read off the weights; pass the model-config JSON "
        + "(open_clip's model_configs/<name>.json)");
  }

  /**
   * open_clip's own model configs of the ViT CLIPs ({@code src/open_clip/model_configs/*.json},
   * v2.20.0), by name, for {@link #infer}.
   */
  static final Map<String, OpenClipConfig> PUBLISHED = Map.of(
      "ViT-B-32", new OpenClipConfig(512, 224, 32, 768, 12, 12, 3072, 77, 49408, 512, 12, 8, 2048, false),
      "ViT-B-16", new OpenClipConfig(512, 224, 16, 768, 12, 12, 3072, 77, 49408, 512, 12, 8, 2048, false),
      "ViT-L-14", new OpenClipConfig(768, 224, 14, 1024, 24, 16, 4096, 77, 49408, 768, 12, 12, 3072, false),
      "ViT-L-14-336", new OpenClipConfig(768, 336, 14, 1024, 24, 16, 4096, 77, 49408, 768, 12, 12, 3072, false),
      "ViT-H-14", new OpenClipConfig(1024, 224, 14, 1280, 32, 16, 5120, 77, 49408, 1024, 24, 16, 4096, false),
      "ViT-g-14", new OpenClipConfig(1024, 224, 14, 1408, 40, 16, 6144, 77, 49408, 1024, 24, 16, 4096, false),
      "ViT-bigG-14", new OpenClipConfig(1280, 224, 14, 1664, 48, 16, 8192, 77, 49408, 1280, 32, 20, 5120, false));

  private OpenClipConfig withHeads(int vision, int text) {
    return new OpenClipConfig(embedDim, imageSize, patchSize, visionWidth, visionLayers, vision, visionMlpWidth,
        contextLength, vocabSize, textWidth, textLayers, text, textMlpWidth, quickGelu);
  }

  /** The sizes in open_clip's terms, for messages. */
  String describe() {
    return "embed_dim " + embedDim + "; vision: image " + imageSize + ", patch " + patchSize + ", width " + visionWidth
        + ", layers " + visionLayers + ", mlp " + visionMlpWidth + "; text: context " + contextLength + ", vocab "
        + vocabSize + ", width " + textWidth + ", layers " + textLayers + ", mlp " + textMlpWidth;
  }

  private static long[] shape(Map<String, long[]> shapes, String key, int rank, String source) {
    long[] s = shapes.get(key);
    checkArgument(s != null, "%s: no \"%s\"; not an open_clip ViT CLIP state dict", source, key);
    checkArgument(s.length == rank, "%s: \"%s\" has shape %s, expected rank %s", source, key, Arrays.toString(s),
        rank);
    return s;
  }

  /** The number of consecutive {@code prefix<i>.} blocks, from 0. */
  private static int layers(Map<String, long[]> shapes, String prefix) {
    int n = 0;
    while (shapes.containsKey(prefix + n + ".attn.in_proj_weight")) {
      n++;
    }
    return n;
  }

  private static void requireDefault(Map<String, Object> m, String key, Object allowed, String source) {
    Object v = m.get(key);
    checkArgument(v == null || Objects.equals(v, allowed), "%s: %s = %s is not supported (only %s): draft4j reads the "
        + "plain ViT CLIP", source, key, v, allowed);
  }

  private static int integer(Map<String, Object> m, String key, int dflt, String source) {
    Object v = m.getOrDefault(key, dflt);
    checkArgument(v instanceof Integer || v instanceof Long, "%s: %s = %s must be an integer", source, key, v);
    return ((Number) v).intValue();
  }

  private static double number(Map<String, Object> m, String key, double dflt, String source) {
    Object v = m.getOrDefault(key, dflt);
    checkArgument(v instanceof Number, "%s: %s = %s must be a number", source, key, v);
    return ((Number) v).doubleValue();
  }
}
