package org.draft4j.models.ldm;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.TensorStore;
import org.draft4j.models.AutoencoderKL;
import org.draft4j.models.AutoencoderKLConfig;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.ClipTextModel;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.text.ClipTokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Single-file Stable Diffusion 1.x checkpoints ({@code v1-5-pruned-emaonly.safetensors},
 * {@code .ckpt}, community fine-tunes) in the original CompVis/LDM layout: the UNet under
 * {@code model.diffusion_model.}, the VAE under {@code first_stage_model.}, CLIP's text encoder under
 * {@code cond_stage_model.transformer.}, optionally an EMA UNet under {@code model_ema.}. Other keys
 * (the DDPM schedule buffers {@code betas}, {@code alphas_cumprod}, …) are not read.
 *
 * <p>{@link #load} gives the same {@link TextToImageModel} as the diffusers folder diffusers'
 * {@code convert_from_ckpt.py} would make of the file: configs from the tensor shapes
 * ({@link SingleFileOptions} for what shapes cannot tell), keys mapped by {@link LdmUnetKeys},
 * {@link LdmVaeKeys}, {@link LdmTextKeys}, SD 1.x's DDIM schedule as the scheduler config.
 * {@link #write} is the inverse, as diffusers' {@code convert_diffusers_to_original_stable_diffusion.py}.
 */
public final class StableDiffusionCheckpoint {
  private StableDiffusionCheckpoint() {}

  /** diffusers' test for an EMA copy: more than this many keys start with {@code model_ema}. */
  static final int EMA_MIN_KEYS = 100;

  /**
   * Whether a store is a single-file checkpoint in LDM layout (it has {@code model.diffusion_model.*}
   * keys), of any Stable Diffusion version: {@link #load} then loads SD 1.x and refuses the others
   * saying what they look like. A diffusers folder's component files answer false.
   */
  public static boolean isLdmCheckpoint(TensorStore store) {
    return store.keys().stream().anyMatch(k -> k.startsWith(LdmUnetKeys.PREFIX));
  }

  /**
   * {@link #isLdmCheckpoint(TensorStore)} of a weights file in any format {@link TensorStore#open}
   * reads (only its header or pickle is parsed); a file that is no weights file is an error naming it.
   */
  public static boolean isLdmCheckpoint(Path file) {
    try (TensorStore s = TensorStore.open(file)) {
      return isLdmCheckpoint(s);
    }
  }

  /** Whether a store holds an EMA copy of the UNet: more than 100 keys start with {@code model_ema} (diffusers' test). */
  public static boolean hasEma(TensorStore store) {
    return store.keys().stream().filter(k -> k.startsWith("model_ema")).limit(EMA_MIN_KEYS + 1).count() > EMA_MIN_KEYS;
  }

  /** {@link #load(Path, SingleFileOptions)} with SD 1.x's defaults ({@link SingleFileOptions#defaults()}). */
  public static TextToImageModel load(Path file) {
    return load(file, SingleFileOptions.defaults());
  }

  /**
   * Loads an SD 1.x single-file checkpoint in any format {@link TensorStore#open} reads. Every check
   * (model family, configs, keys, shapes, the tokenizer's vocabulary against the token embedding)
   * runs on names and shapes before a tensor is read; then each component's tensors are read one at
   * a time. Errors name the file, the key, the shape found and the shape expected.
   */
  public static TextToImageModel load(Path file, SingleFileOptions options) {
    checkArgument(options != null, "options must not be null");
    try (TensorStore s = TensorStore.open(file)) {
      String name = file.getFileName().toString();
      int dot = name.lastIndexOf('.');
      return load(s, options.id().orElse(dot > 0 ? name.substring(0, dot) : name), options);
    }
  }

  /** As {@link #load(Path, SingleFileOptions)} from an open store; {@code id} is the model id. */
  public static TextToImageModel load(TensorStore s, String id, SingleFileOptions options) {
    checkArgument(s != null && id != null && options != null, "store, id and options must not be null");
    String src = s.source();
    CheckpointFamily.requireSd1(s);
    boolean ema = switch (options.ema()) {
      case IGNORE -> false;
      case AUTO -> hasEma(s);
      case USE -> {
        long n = s.keys().stream().filter(k -> k.startsWith("model_ema")).count();
        checkArgument(n > EMA_MIN_KEYS, "%s: EMA weights were asked for (EmaWeights.USE) but the file has %s"
            + " model_ema* keys (an EMA copy has more than %s); EmaWeights.IGNORE loads its %s* weights", src, n,
            EMA_MIN_KEYS, LdmUnetKeys.PREFIX);
        yield true;
      }
    };
    Sd1Configs configs = new Sd1Configs(s);
    LdmUnetKeys.Layout layout = LdmUnetKeys.layout(Sd1Configs.relative(s, LdmUnetKeys.PREFIX), src);
    UNet2DConditionConfig uc = configs.unet(layout, options);
    AutoencoderKLConfig vc = configs.vae(options);
    ClipTextConfig tc = configs.text(options);
    boolean legacyText = LdmTextKeys.isLegacy(Sd1Configs.relative(s, LdmTextKeys.PREFIX));
    String tokKey = LdmTextKeys.PREFIX + LdmTextKeys.toLdm("text_model.embeddings.token_embedding.weight", legacyText);
    checkArgument(tc.hiddenSize() == uc.crossAttentionDim(), "%s: the text encoder's hidden size %s (\"%s\" has shape"
        + " %s) differs from the UNet's cross-attention width %s", src, tc.hiddenSize(), tokKey,
        java.util.Arrays.toString(s.shape(tokKey)), uc.crossAttentionDim());
    checkArgument(vc.latentChannels() == uc.inChannels(), "%s: the VAE's %s latent channels (\"%spost_quant_conv"
        + ".weight\") differ from the UNet's %s input channels", src, vc.latentChannels(), LdmVaeKeys.PREFIX,
        uc.inChannels());
    ClipTokenizer tok = tokenizer(options);
    checkArgument(tok.vocabSize() == tc.vocabSize(), "%s: the tokenizer has %s tokens but the text encoder's token"
        + " embedding \"%s\" has %s rows (shape %s); pass the fine-tune's tokenizer with SingleFileOptions.tokenizer"
        + " or tokenizerFolder", src, tok.vocabSize(), tokKey, tc.vocabSize(), java.util.Arrays.toString(s.shape(tokKey)));
    checkArgument(tok.maxLength() <= tc.maxPositionEmbeddings(), "%s: the tokenizer's max length %s exceeds the"
        + " text encoder's %s positions", src, tok.maxLength(), tc.maxPositionEmbeddings());

    int vaeLevels = vc.blockOutChannels().length;
    ComponentWeights unet = ComponentWeights.check(s, "UNet", LdmUnetKeys.PREFIX,
        UNet2DConditionModel.parameterShapes(uc), k -> LdmUnetKeys.toDiffusers(k, layout), k -> false, d -> {
          String k = LdmUnetKeys.PREFIX + LdmUnetKeys.toLdm(d, layout);
          return ema ? LdmUnetKeys.emaKey(k) : k;
        }, (k, shape) -> shape);
    ComponentWeights vae = ComponentWeights.check(s, "VAE", LdmVaeKeys.PREFIX, AutoencoderKL.parameterShapes(vc),
        k -> LdmVaeKeys.toDiffusers(k, vaeLevels), k -> false, d -> LdmVaeKeys.PREFIX + LdmVaeKeys.toLdm(d, vaeLevels),
        (k, shape) -> LdmVaeKeys.ldmShape(k.substring(LdmVaeKeys.PREFIX.length()), shape));
    ComponentWeights text = ComponentWeights.check(s, "text encoder", LdmTextKeys.PREFIX,
        ClipTextModel.parameterShapes(tc), LdmTextKeys::toDiffusers, LdmTextKeys::isIgnored,
        d -> LdmTextKeys.PREFIX + LdmTextKeys.toLdm(d, legacyText), (k, shape) -> shape);
    ClipTextModel textEncoder = ClipTextModel.of(tc, text.read(s));
    AutoencoderKL vaeModel = AutoencoderKL.of(vc, vae.read(s));
    UNet2DConditionModel unetModel = UNet2DConditionModel.of(uc, unet.read(s));
    return TextToImageModel.builder().id(id).tokenizer(tok).textEncoder(textEncoder).unet(unetModel).vae(vaeModel)
        .schedulerConfig(schedulerConfig()).build();
  }

  private static ClipTokenizer tokenizer(SingleFileOptions o) {
    if (o.tokenizer().isPresent()) {
      return o.tokenizer().get();
    }
    if (o.tokenizerFolder().isEmpty()) {
      return ClipTokenizer.openAi(77);
    }
    Path dir = o.tokenizerFolder().get();
    try {
      int maxLen = 77;
      Path cfg = dir.resolve("tokenizer_config.json");
      if (Files.exists(cfg) && Json.parseObject(Files.readString(cfg)).get("model_max_length") instanceof Number n) {
        maxLen = n.intValue();
      }
      return ClipTokenizer.load(dir.resolve("vocab.json"), dir.resolve("merges.txt"), maxLen);
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot read the tokenizer folder (vocab.json, merges.txt): " + e, e);
    }
  }

  /**
   * SD 1.x's noise schedule as diffusers' {@code DDIMScheduler} config, what
   * {@code convert_from_ckpt.py} builds for a v1 checkpoint (v1-inference.yaml's linear_start 0.00085,
   * linear_end 0.012, 1000 timesteps; scaled_linear, steps_offset 1, clip_sample and
   * set_alpha_to_one false, epsilon prediction, leading spacing).
   */
  public static Map<String, Object> schedulerConfig() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("_class_name", "DDIMScheduler");
    m.put("beta_start", 0.00085);
    m.put("beta_end", 0.012);
    m.put("beta_schedule", "scaled_linear");
    m.put("num_train_timesteps", 1000);
    m.put("steps_offset", 1);
    m.put("clip_sample", false);
    m.put("set_alpha_to_one", false);
    m.put("prediction_type", "epsilon");
    m.put("timestep_spacing", "leading");
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Writes a latent model as a single-file SD 1.x checkpoint (safetensors, F32, atomically), the
   * inverse of {@link #load} as diffusers' {@code convert_diffusers_to_original_stable_diffusion.py}
   * defines it: UNet keys under {@code model.diffusion_model.}, VAE keys under
   * {@code first_stage_model.} with the attention's q/k/v/proj_out weights as 1×1 convolutions
   * {@code [C, C, 1, 1]}, text encoder keys under {@code cond_stage_model.transformer.}. A1111 and
   * ComfyUI load it; the tokenizer and scheduler are not part of the file (SD 1.x's are implied).
   */
  public static void write(TextToImageModel model, Path file) {
    write(model, file, org.draft4j.io.SafetensorsDType.F32, Map.of());
  }

  /**
   * As {@link #write(TextToImageModel, Path)}, storing the weights as {@code floatType} (F32, or F16 /
   * BF16 rounded to nearest: a 2 GB SD 1.5 file in F16, as most published checkpoints are) with
   * {@code metadata} (for example the export's provenance) in the file's {@code __metadata__}.
   */
  public static void write(TextToImageModel model, Path file, org.draft4j.io.SafetensorsDType floatType,
      Map<String, String> metadata) {
    checkArgument(model != null && file != null, "model and file must not be null");
    checkArgument(metadata != null, "metadata must not be null (give Map.of())");
    checkArgument(model.vae() != null, "model %s works in pixel space: a single-file SD checkpoint needs a VAE",
        model.id());
    Map<String, INDArray> out = new LinkedHashMap<>();
    LdmUnetKeys.Layout layout = LdmUnetKeys.Layout.of(model.unet().config());
    model.unet().parameters().asMap().forEach((k, v) -> {
      String l = LdmUnetKeys.toLdm(k, layout);
      checkState(l != null, "model %s: UNet parameter \"%s\" has no LDM name", model.id(), k);
      out.put(LdmUnetKeys.PREFIX + l, v);
    });
    int levels = model.vae().config().blockOutChannels().length;
    model.vae().parameters().asMap().forEach((k, v) -> {
      String l = LdmVaeKeys.toLdm(k, levels);
      checkState(l != null, "model %s: VAE parameter \"%s\" has no LDM name", model.id(), k);
      out.put(LdmVaeKeys.PREFIX + l, v.reshape('c', LdmVaeKeys.ldmShape(l, v.shape())));
    });
    Set<String> textKeys = model.textEncoder().parameters().asMap().keySet();
    for (String k : textKeys) {
      if (!LdmTextKeys.isIgnored(k)) {
        out.put(LdmTextKeys.PREFIX + k, model.textEncoder().parameters().get(k));
      }
    }
    Map<String, String> meta = new LinkedHashMap<>(metadata);
    meta.putIfAbsent("format", "pt");
    Safetensors.write(file, out, meta, floatType);
  }
}
