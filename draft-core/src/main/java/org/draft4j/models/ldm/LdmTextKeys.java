package org.draft4j.models.ldm;

import java.util.Set;

/**
 * CLIP text encoder parameter names between an SD 1.x checkpoint ({@code cond_stage_model.transformer.}
 * followed by Hugging Face's {@code CLIPTextModel} names) and draft4j's {@code text_model.*}. Pure
 * functions of key names.
 *
 * <p>The rule, as diffusers' {@code convert_ldm_clip_checkpoint} (convert_from_ckpt.py: the prefix
 * {@code cond_stage_model.transformer.} is removed) and the export script (it is added back):
 * checkpoints saved with transformers ≥ 4.22 name {@code text_model.embeddings.*}, older ones
 * {@code embeddings.*} without {@code text_model.} ({@link #isLegacy}); both map to
 * {@code text_model.*}. HF's {@code position_ids} buffer is not a weight ({@link #isIgnored}).
 */
public final class LdmTextKeys {
  /** The text encoder's key prefix in an SD 1.x checkpoint. */
  public static final String PREFIX = "cond_stage_model.transformer.";

  private static final String TEXT_MODEL = "text_model.";

  private LdmTextKeys() {}

  /** Whether keys ({@link #PREFIX} removed) use the old layout without {@code text_model.}. */
  public static boolean isLegacy(Set<String> keys) {
    return !keys.isEmpty() && keys.stream().noneMatch(k -> k.startsWith(TEXT_MODEL));
  }

  /** Whether a key ({@link #PREFIX} removed) is HF's {@code position_ids} buffer, which is not loaded. */
  public static boolean isIgnored(String key) {
    return key.endsWith("embeddings.position_ids");
  }

  /** The draft4j/HF name ({@code text_model.*}) of a checkpoint key with {@link #PREFIX} removed. */
  public static String toDiffusers(String key) {
    return key.startsWith(TEXT_MODEL) ? key : TEXT_MODEL + key;
  }

  /** The checkpoint name ({@link #PREFIX} not included) of a {@code text_model.*} key, in either layout. */
  public static String toLdm(String key, boolean legacy) {
    return legacy && key.startsWith(TEXT_MODEL) ? key.substring(TEXT_MODEL.length()) : key;
  }
}
