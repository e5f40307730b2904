package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.text.ClipTokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A text-to-image diffusion model in Stable Diffusion's layout: tokenizer, CLIP text encoder, UNet
 * and an image decoder (a VAE, or pixel space). Immutable wiring of components; prompt embeddings
 * are cached (the text encoder is frozen).
 */
public final class TextToImageModel {
  private final String id;
  private final ClipTokenizer tokenizer;
  private final ClipTextModel textEncoder;
  private final UNet2DConditionModel unet;
  private final ImageDecoder decoder;
  private final AutoencoderKL vae;
  private final Map<String, Object> schedulerConfig;
  private final Map<String, INDArray> promptCache = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, INDArray> e) {
      return size() > 4096;
    }
  });

  private TextToImageModel(Builder b) {
    this.id = b.id;
    this.tokenizer = b.tokenizer;
    this.textEncoder = b.textEncoder;
    this.unet = b.unet;
    this.vae = b.vae;
    this.decoder = b.vae != null ? b.vae.asImageDecoder() : b.decoder;
    this.schedulerConfig = b.schedulerConfig;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads a model in diffusers folder layout: {@code unet/} (config.json + weights),
   * {@code text_encoder/} (config.json + weights), {@code tokenizer/} (vocab.json + merges.txt, max
   * length from tokenizer_config.json or 77) and, for latent models such as Stable Diffusion 1.x,
   * {@code vae/}; without {@code vae/} the model works in pixel space. Weights are found as
   * {@link WeightFiles} does (safetensors before {@code .bin}, sharded sets through their index;
   * F16/BF16 widened to float32). {@code scheduler/scheduler_config.json}, when present, is kept as the
   * model's {@link #schedulerConfig()} (the schedule its UNet was trained under).
   */
  public static TextToImageModel load(ModelFolder folder, String id) {
    return load(folder, id, null);
  }

  /**
   * As {@link #load(ModelFolder, String)}, reading the weights of {@code variant} ({@code "fp16"}:
   * {@code diffusion_pytorch_model.fp16.safetensors}, as diffusers' {@code variant=} argument);
   * null for the plain weights. A component without that variant is an error listing its files.
   */
  public static TextToImageModel load(ModelFolder folder, String id, String variant) {
    WeightFiles.checkVariant(variant);
    UNet2DConditionConfig uc = UNet2DConditionConfig.fromJson(
        folder.readJson("unet/config.json"), folder.location("unet/config.json"));
    UNet2DConditionModel unet = UNet2DConditionModel.of(uc,
        ModelFiles.readWeights(folder, "unet", WeightFiles.Naming.DIFFUSERS, variant));
    ClipTextConfig tc = ClipTextConfig.fromJson(
        folder.readJson("text_encoder/config.json"),
        folder.location("text_encoder/config.json"));
    ClipTextModel text = ClipTextModel.of(tc,
        ModelFiles.readWeights(folder, "text_encoder", WeightFiles.Naming.TRANSFORMERS, variant));
    int maxLen = 77;
    if (folder.exists("tokenizer/tokenizer_config.json")) {
      Object v = folder.readJson("tokenizer/tokenizer_config.json")
          .get("model_max_length");
      if (v instanceof Number n) {
        maxLen = n.intValue();
      }
    }
    ClipTokenizer tok = new ClipTokenizer(ClipTokenizer.readVocab(folder.readString("tokenizer/vocab.json")),
        ClipTokenizer.readMerges(folder.readString("tokenizer/merges.txt")), maxLen);
    Builder b = builder().id(id).tokenizer(tok).textEncoder(text).unet(unet);
    if (folder.exists("scheduler/scheduler_config.json")) {
      b.schedulerConfig(folder.readJson("scheduler/scheduler_config.json"));
    }
    if (folder.exists("vae/config.json")) {
      AutoencoderKLConfig vc = AutoencoderKLConfig.fromJson(
          folder.readJson("vae/config.json"), folder.location("vae/config.json"));
      b.vae(AutoencoderKL.of(vc, ModelFiles.readWeights(folder, "vae", WeightFiles.Naming.DIFFUSERS, variant)));
    } else {
      b.decoder(ImageDecoder.pixelSpace());
    }
    return b.build();
  }

  /**
   * Writes the model in diffusers folder layout (model_index.json, unet/, text_encoder/, tokenizer/);
   * {@code vocabJson}/{@code mergesTxt} are the tokenizer files, {@code schedulerConfig} the
   * scheduler/scheduler_config.json content.
   */
  public void save(java.nio.file.Path dir, String vocabJson, String mergesTxt,
      Map<String, Object> schedulerConfig) throws java.io.IOException {
    save(dir, vocabJson, mergesTxt, schedulerConfig, WeightsFormat.F32);
  }

  /**
   * As {@link #save(java.nio.file.Path, String, String, Map)} with every component's weights in
   * {@code format}: {@link WeightsFormat#fp16()} writes the {@code fp16} variant a Hugging Face repo
   * publishes, read back by {@link #load(ModelFolder, String, String)} with variant {@code "fp16"}.
   */
  public void save(java.nio.file.Path dir, String vocabJson, String mergesTxt,
      Map<String, Object> schedulerConfig, WeightsFormat format) throws java.io.IOException {
    java.nio.file.Files.createDirectories(dir.resolve("tokenizer"));
    java.nio.file.Files.createDirectories(dir.resolve("scheduler"));
    unet.save(dir.resolve("unet"), format);
    textEncoder.save(dir.resolve("text_encoder"), tokenizer, format);
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("tokenizer/vocab.json"), vocabJson);
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("tokenizer/merges.txt"), mergesTxt);
    Map<String, Object> tc = new LinkedHashMap<>();
    tc.put("model_max_length", tokenizer.maxLength());
    tc.put("bos_token", ClipTokenizer.BOS);
    tc.put("eos_token", ClipTokenizer.EOS);
    tc.put("pad_token", ClipTokenizer.EOS);
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("tokenizer/tokenizer_config.json"),
        org.draft4j.io.Json.writePretty(tc));
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("scheduler/scheduler_config.json"),
        org.draft4j.io.Json.writePretty(schedulerConfig));
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("_class_name", "StableDiffusionPipeline");
    if (vae != null) {
      vae.save(dir.resolve("vae"), format);
      index.put("vae", List.of("diffusers", "AutoencoderKL"));
    } else {
      index.put("_draft4j_pixel_space", true);
    }
    index.put("scheduler", List.of("diffusers", "DDIMScheduler"));
    index.put("text_encoder", List.of("transformers", "CLIPTextModel"));
    index.put("tokenizer", List.of("transformers", "CLIPTokenizer"));
    index.put("unet", List.of("diffusers", "UNet2DConditionModel"));
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("model_index.json"), org.draft4j.io.Json.writePretty(index));
  }

  /**
   * Writes the model in diffusers folder layout as {@link #save(java.nio.file.Path, String, String, Map)}
   * does, with its tokenizer's own vocab.json/merges.txt and its {@link #schedulerConfig()}; a model
   * without a scheduler config is refused (pass one to the four-argument save).
   */
  public void save(java.nio.file.Path dir) throws java.io.IOException {
    save(dir, WeightsFormat.F32);
  }

  /** As {@link #save(java.nio.file.Path)} with every component's weights in {@code format}. */
  public void save(java.nio.file.Path dir, WeightsFormat format) throws java.io.IOException {
    checkState(schedulerConfig != null, "model %s has no scheduler config; pass one to save(dir, vocabJson, mergesTxt,"
        + " schedulerConfig)", id);
    save(dir, tokenizer.vocabJson(), tokenizer.mergesTxt(), schedulerConfig, format);
  }

  /**
   * The diffusers scheduler config the model was trained under ({@code scheduler/scheduler_config.json}
   * of its folder), or empty for a model built without one; {@code Ddim.steps(n, model)} samples with it.
   */
  public java.util.Optional<Map<String, Object>> schedulerConfig() {
    return java.util.Optional.ofNullable(schedulerConfig);
  }

  /** Model identifier recorded in adapter provenance. */
  public String id() {
    return id;
  }

  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  public ClipTextModel textEncoder() {
    return textEncoder;
  }

  public UNet2DConditionModel unet() {
    return unet;
  }

  public ImageDecoder decoder() {
    return decoder;
  }

  /** The VAE of a latent model, or null for a pixel-space model. */
  public AutoencoderKL vae() {
    return vae;
  }

  /** Shape of one sample {@code [C, H, W]} at the UNet's configured size. */
  public long[] sampleShape() {
    UNet2DConditionConfig c = unet.config();
    return new long[] {c.inChannels(), c.sampleSize(), c.sampleSize()};
  }

  /** A fresh denoiser over this model's UNet at its sample size whose graphs run in {@code context}. */
  public UNetDenoiser newDenoiser(org.draft4j.engine.ExecutionContext context) {
    int s = unet.config().sampleSize();
    return new UNetDenoiser(unet, s, s, tokenizer.maxLength(), context);
  }

  /** Text embeddings {@code [B, L, D]} of the prompts (cached per prompt). */
  public INDArray encode(List<String> prompts) {
    checkArgument(!prompts.isEmpty(), "no prompts to encode");
    // resolve the batch into a local map first: inserting new prompts may evict others from the LRU cache
    Map<String, INDArray> local = new java.util.HashMap<>();
    List<String> missing = new ArrayList<>();
    for (String p : prompts) {
      checkArgument(p != null, "prompt must not be null");
      if (!local.containsKey(p)) {
        INDArray e = promptCache.get(p);
        if (e != null) {
          local.put(p, e);
        } else if (!missing.contains(p)) {
          missing.add(p);
        }
      }
    }
    // one prompt a pass: a prompt's embedding must not depend on which other prompts were missing from
    // the cache with it (a batched GEMM's last bits depend on the batch), or a resumed run, or a
    // data-parallel worker with another cache history, would condition on other bits
    for (String p : missing) {
      INDArray e = textEncoder.encode(new int[][] {tokenizer.encodePadded(p)});
      INDArray row = e.dup().reshape(1, e.size(1), e.size(2));
      local.put(p, row);
      promptCache.put(p, row);
    }
    INDArray[] rows = new INDArray[prompts.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = local.get(prompts.get(i));
    }
    return Nd4j.concat(0, rows);
  }

  /** Builder; every component is required and may be set once. */
  public static final class Builder {
    private String id;
    private ClipTokenizer tokenizer;
    private ClipTextModel textEncoder;
    private UNet2DConditionModel unet;
    private ImageDecoder decoder;
    private AutoencoderKL vae;
    private Map<String, Object> schedulerConfig;

    private static void once(Object current, String field) {
      checkState(current == null, "%s is already set", field);
    }

    public Builder id(String id) {
      once(this.id, "id");
      this.id = id;
      return this;
    }

    public Builder tokenizer(ClipTokenizer t) {
      once(tokenizer, "tokenizer");
      tokenizer = t;
      return this;
    }

    public Builder textEncoder(ClipTextModel t) {
      once(textEncoder, "textEncoder");
      textEncoder = t;
      return this;
    }

    public Builder unet(UNet2DConditionModel u) {
      once(unet, "unet");
      unet = u;
      return this;
    }

    /** The image decoder of a pixel-space model ({@link ImageDecoder#pixelSpace()}). */
    public Builder decoder(ImageDecoder d) {
      once(decoder, "decoder");
      checkState(vae == null, "decoder and vae are exclusive: a VAE is the decoder of a latent model");
      decoder = d;
      return this;
    }

    /** The VAE of a latent model; it becomes the image decoder. */
    public Builder vae(AutoencoderKL v) {
      once(vae, "vae");
      checkState(decoder == null, "decoder and vae are exclusive: a VAE is the decoder of a latent model");
      vae = v;
      return this;
    }

    /** The diffusers scheduler config the UNet was trained under (scheduler_config.json's content). */
    public Builder schedulerConfig(Map<String, Object> config) {
      once(schedulerConfig, "schedulerConfig");
      schedulerConfig = Collections.unmodifiableMap(new LinkedHashMap<>(config));
      return this;
    }

    public TextToImageModel build() {
      checkState(id != null, "id is required");
      checkState(tokenizer != null, "tokenizer is required");
      checkState(textEncoder != null, "textEncoder is required");
      checkState(unet != null, "unet is required");
      checkState(decoder != null || vae != null,
          "decoder (ImageDecoder.pixelSpace() for pixel models) or vae (latent models) is required");
      if (vae != null) {
        checkArgument(vae.config().latentChannels() == unet.config().inChannels(),
            "VAE latent_channels %s differs from the UNet's in_channels %s", vae.config().latentChannels(),
            unet.config().inChannels());
      }
      checkArgument(textEncoder.config().hiddenSize() == unet.config().crossAttentionDim(),
          "text encoder hidden_size %s differs from the UNet's cross_attention_dim %s",
          textEncoder.config().hiddenSize(), unet.config().crossAttentionDim());
      checkArgument(tokenizer.vocabSize() <= textEncoder.config().vocabSize(),
          "tokenizer vocabulary (%s) is larger than the text encoder's vocab_size %s", tokenizer.vocabSize(),
          textEncoder.config().vocabSize());
      checkArgument(tokenizer.maxLength() <= textEncoder.config().maxPositionEmbeddings(),
          "tokenizer max length %s exceeds max_position_embeddings %s", tokenizer.maxLength(),
          textEncoder.config().maxPositionEmbeddings());
      return new TextToImageModel(this);
    }
  }
}
