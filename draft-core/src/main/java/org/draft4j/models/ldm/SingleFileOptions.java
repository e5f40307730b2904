package org.draft4j.models.ldm;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.draft4j.text.ClipTokenizer;

/**
 * How {@link StableDiffusionCheckpoint#load(Path, SingleFileOptions)} reads a single-file
 * checkpoint: what the tensor shapes cannot tell. Every field has SD 1.x's value by default:
 * non-EMA UNet weights ({@link EmaWeights#IGNORE}), OpenAI's CLIP tokenizer with 77 tokens, 32
 * GroupNorm groups in the UNet and the VAE, 8 UNet attention heads, text heads = hidden / 64, a
 * 64×64 latent (512×512 images), VAE scaling factor 0.18215, the file name as the model id.
 * Immutable; built by {@link #builder()}.
 */
public final class SingleFileOptions {
  private final EmaWeights ema;
  private final ClipTokenizer tokenizer;
  private final Path tokenizerFolder;
  private final int unetNormGroups;
  private final int vaeNormGroups;
  private final int unetHeads;
  private final Integer textHeads;
  private final int sampleSize;
  private final double scalingFactor;
  private final String id;

  private SingleFileOptions(Builder b) {
    this.ema = b.ema == null ? EmaWeights.IGNORE : b.ema;
    this.tokenizer = b.tokenizer;
    this.tokenizerFolder = b.tokenizerFolder;
    this.unetNormGroups = b.unetNormGroups == null ? 32 : b.unetNormGroups;
    this.vaeNormGroups = b.vaeNormGroups == null ? 32 : b.vaeNormGroups;
    this.unetHeads = b.unetHeads == null ? 8 : b.unetHeads;
    this.textHeads = b.textHeads;
    this.sampleSize = b.sampleSize == null ? 64 : b.sampleSize;
    this.scalingFactor = b.scalingFactor == null ? 0.18215 : b.scalingFactor;
    this.id = b.id;
  }

  /** SD 1.x's defaults. */
  public static SingleFileOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Which UNet weights to load (default {@link EmaWeights#IGNORE}). */
  public EmaWeights ema() {
    return ema;
  }

  /** The tokenizer given, if any (else {@link #tokenizerFolder()} or {@code ClipTokenizer.openAi(77)}). */
  public Optional<ClipTokenizer> tokenizer() {
    return Optional.ofNullable(tokenizer);
  }

  /** A Hugging Face tokenizer folder (vocab.json, merges.txt, tokenizer_config.json) to read, if given. */
  public Optional<Path> tokenizerFolder() {
    return Optional.ofNullable(tokenizerFolder);
  }

  /** The UNet's {@code norm_num_groups} (default 32). */
  public int unetNormGroups() {
    return unetNormGroups;
  }

  /** The VAE's {@code norm_num_groups} (default 32). */
  public int vaeNormGroups() {
    return vaeNormGroups;
  }

  /** The UNet's attention heads at every level (SD 1.x's {@code attention_head_dim} = 8, the legacy name for heads). */
  public int unetHeads() {
    return unetHeads;
  }

  /** The text encoder's heads when given (default: hidden size / 64, CLIP's head width). */
  public OptionalInt textHeads() {
    return textHeads == null ? OptionalInt.empty() : OptionalInt.of(textHeads);
  }

  /** The UNet's {@code sample_size}, the latent side (default 64; the VAE's is this times its down factor). */
  public int sampleSize() {
    return sampleSize;
  }

  /** The VAE's latent {@code scaling_factor} (default 0.18215, SD 1.x's {@code scale_factor}). */
  public double scalingFactor() {
    return scalingFactor;
  }

  /** The model id when given (default: the file name without its extension). */
  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  /** Builder; each field may be set once, {@link #tokenizer} and {@link #tokenizerFolder} exclude each other. */
  public static final class Builder {
    private EmaWeights ema;
    private ClipTokenizer tokenizer;
    private Path tokenizerFolder;
    private Integer unetNormGroups;
    private Integer vaeNormGroups;
    private Integer unetHeads;
    private Integer textHeads;
    private Integer sampleSize;
    private Double scalingFactor;
    private String id;

    private Builder() {}

    private static void once(Object current, String field) {
      checkState(current == null, "%s is already set", field);
    }

    /** Which UNet weights to load. */
    public Builder ema(EmaWeights e) {
      once(ema, "ema");
      checkArgument(e != null, "ema must not be null");
      ema = e;
      return this;
    }

    /** The tokenizer to use (its vocabulary must match the text encoder's token embedding). */
    public Builder tokenizer(ClipTokenizer t) {
      once(tokenizer, "tokenizer");
      checkArgument(t != null, "tokenizer must not be null");
      tokenizer = t;
      return this;
    }

    /** A Hugging Face tokenizer folder to read the tokenizer from. */
    public Builder tokenizerFolder(Path dir) {
      once(tokenizerFolder, "tokenizerFolder");
      checkArgument(dir != null, "tokenizerFolder must not be null");
      tokenizerFolder = dir;
      return this;
    }

    /** The UNet's GroupNorm groups. */
    public Builder unetNormGroups(int groups) {
      once(unetNormGroups, "unetNormGroups");
      unetNormGroups = groups;
      return this;
    }

    /** The VAE's GroupNorm groups. */
    public Builder vaeNormGroups(int groups) {
      once(vaeNormGroups, "vaeNormGroups");
      vaeNormGroups = groups;
      return this;
    }

    /** The UNet's attention heads at every level. */
    public Builder unetHeads(int heads) {
      once(unetHeads, "unetHeads");
      unetHeads = heads;
      return this;
    }

    /** The text encoder's attention heads. */
    public Builder textHeads(int heads) {
      once(textHeads, "textHeads");
      textHeads = heads;
      return this;
    }

    /** The UNet's latent side. */
    public Builder sampleSize(int size) {
      once(sampleSize, "sampleSize");
      sampleSize = size;
      return this;
    }

    /** The VAE's latent scaling factor. */
    public Builder scalingFactor(double factor) {
      once(scalingFactor, "scalingFactor");
      checkArgument(factor > 0 && Double.isFinite(factor), "scalingFactor = %s must be positive and finite", factor);
      scalingFactor = factor;
      return this;
    }

    /** The model id. */
    public Builder id(String modelId) {
      once(id, "id");
      checkArgument(modelId != null && !modelId.isBlank(), "id must not be blank");
      id = modelId;
      return this;
    }

    /** The options; refuses a tokenizer given both ways and non-positive sizes. */
    public SingleFileOptions build() {
      checkState(tokenizer == null || tokenizerFolder == null,
          "tokenizer and tokenizerFolder are exclusive: give the tokenizer or the folder to read it from");
      positive("unetNormGroups", unetNormGroups);
      positive("vaeNormGroups", vaeNormGroups);
      positive("unetHeads", unetHeads);
      positive("textHeads", textHeads);
      positive("sampleSize", sampleSize);
      return new SingleFileOptions(this);
    }

    private static void positive(String field, Integer value) {
      checkState(value == null || value >= 1, "%s = %s must be >= 1", field, value);
    }
  }
}
