package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.DiffusersConfigs;
import org.draft4j.text.ClipTokenizer;

/**
 * Hugging Face {@code CLIPTextConfig} fields used by Stable Diffusion's text encoder (SD 1.x:
 * vocab 49408, hidden 768, intermediate 3072, 12 layers, 12 heads, 77 positions, quick_gelu).
 */
public record ClipTextConfig(
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("intermediate_size") int intermediateSize,
    @JsonProperty("num_hidden_layers") int numHiddenLayers,
    @JsonProperty("num_attention_heads") int numAttentionHeads,
    @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
    @JsonProperty("hidden_act") String hiddenAct,
    @JsonProperty("layer_norm_eps") double layerNormEps) {
  static final Set<String> ACTS = Set.of("quick_gelu", "gelu");
  /** transformers' defaults for a key a config.json omits. */
  static final ClipTextConfig DEFAULTS = new ClipTextConfig(49408, 512, 2048, 12, 8, 77, "quick_gelu", 1e-5);

  public ClipTextConfig {
    checkArgument(vocabSize > 0, "vocab_size = %s must be positive", vocabSize);
    checkArgument(hiddenSize > 0 && numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0,
        "hidden_size = %s must be a positive multiple of num_attention_heads = %s", hiddenSize, numAttentionHeads);
    checkArgument(numHiddenLayers >= 1, "num_hidden_layers = %s must be >= 1", numHiddenLayers);
    checkArgument(maxPositionEmbeddings >= 2, "max_position_embeddings = %s must be >= 2", maxPositionEmbeddings);
    checkArgument(ACTS.contains(hiddenAct), "hidden_act = \"%s\" is not supported; allowed: %s", hiddenAct, ACTS);
  }

  /** Parses config.json (unknown keys ignored, missing ones defaulted, types checked; {@link DiffusersConfigs}). */
  public static ClipTextConfig fromJson(Map<String, Object> m, String source) {
    return DiffusersConfigs.read(m, DEFAULTS, ClipTextConfig.class, source);
  }

  public static ClipTextConfig load(Path configJson) throws IOException {
    Path abs = configJson.toAbsolutePath();
    return fromJson(ModelFolder.of(abs.getParent()).readJson(abs.getFileName().toString()), configJson.toString());
  }

  /** transformers' config.json content. */
  public Map<String, Object> toJson() {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("architectures", java.util.List.of("CLIPTextModel"));
    header.put("model_type", "clip_text_model");
    return DiffusersConfigs.write(header, this);
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
