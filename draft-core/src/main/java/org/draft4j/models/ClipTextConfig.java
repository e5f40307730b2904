package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.Json;
import org.draft4j.text.ClipTokenizer;

/**
 * Hugging Face {@code CLIPTextConfig} fields used by Stable Diffusion's text encoder (SD 1.x:
 * vocab 49408, hidden 768, intermediate 3072, 12 layers, 12 heads, 77 positions, quick_gelu).
 */
public record ClipTextConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
    int numAttentionHeads, int maxPositionEmbeddings, String hiddenAct, double layerNormEps) {
  static final Set<String> ACTS = Set.of("quick_gelu", "gelu");

  public ClipTextConfig {
    checkArgument(vocabSize > 0, "vocab_size = %s must be positive", vocabSize);
    checkArgument(hiddenSize > 0 && numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0,
        "hidden_size = %s must be a positive multiple of num_attention_heads = %s", hiddenSize, numAttentionHeads);
    checkArgument(numHiddenLayers >= 1, "num_hidden_layers = %s must be >= 1", numHiddenLayers);
    checkArgument(maxPositionEmbeddings >= 2, "max_position_embeddings = %s must be >= 2", maxPositionEmbeddings);
    checkArgument(ACTS.contains(hiddenAct), "hidden_act = \"%s\" is not supported; allowed: %s", hiddenAct, ACTS);
  }

  public static ClipTextConfig fromJson(Map<String, Object> m, String source) {
    ConfigReader r = new ConfigReader(m, source);
    return new ClipTextConfig(r.integer("vocab_size", 49408), r.integer("hidden_size", 512),
        r.integer("intermediate_size", 2048), r.integer("num_hidden_layers", 12), r.integer("num_attention_heads", 8),
        r.integer("max_position_embeddings", 77), r.oneOf("hidden_act", "quick_gelu", ACTS),
        r.number("layer_norm_eps", 1e-5));
  }

  public static ClipTextConfig load(Path configJson) throws IOException {
    return fromJson(Json.parseObject(Files.readString(configJson)), configJson.toString());
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("architectures", java.util.List.of("CLIPTextModel"));
    m.put("model_type", "clip_text_model");
    m.put("vocab_size", vocabSize);
    m.put("hidden_size", hiddenSize);
    m.put("intermediate_size", intermediateSize);
    m.put("num_hidden_layers", numHiddenLayers);
    m.put("num_attention_heads", numAttentionHeads);
    m.put("max_position_embeddings", maxPositionEmbeddings);
    m.put("hidden_act", hiddenAct);
    m.put("layer_norm_eps", layerNormEps);
    return m;
  }

  /**
   * {@link #toJson()} plus the tokenizer's special-token ids. Hugging Face transformers pools CLIP's
   * text output at the first {@code eos_token_id}; its default (49407) is only right for OpenAI's
   * vocabulary, so a folder with any other vocabulary must state it (found by
   * examples/scripts/hf_crosscheck.py: without it transformers' text features of the ShapesWorld
   * CLIP differed by 0.6).
   */
  public Map<String, Object> toJson(ClipTokenizer tokenizer) {
    Map<String, Object> m = toJson();
    m.put("bos_token_id", tokenizer.bosId());
    m.put("eos_token_id", tokenizer.eosId());
    m.put("pad_token_id", tokenizer.eosId());
    return m;
  }
}
