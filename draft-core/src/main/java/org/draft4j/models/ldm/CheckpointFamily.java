package org.draft4j.models.ldm;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.draft4j.io.TensorStore;

/**
 * Recognizes which model a single-file checkpoint holds from its keys and shapes, so a file that is
 * not SD 1.x is refused saying what it looks like: SDXL ({@code conditioner.embedders.*}, a
 * {@code label_emb} in the UNet, 2048-wide context), SD 2.x (an open_clip text encoder under
 * {@code cond_stage_model.model.}, 1024-wide context, linear transformer projections), SD 1.x
 * inpainting (UNet in_channels 9) or instruct-pix2pix (8), or no Stable Diffusion checkpoint at all.
 */
final class CheckpointFamily {
  private CheckpointFamily() {}

  private static final String UNET = LdmUnetKeys.PREFIX;

  /** Refuses a store that is not an SD 1.x-family checkpoint, naming the file and the evidence. */
  static void requireSd1(TensorStore s) {
    String src = s.source();
    first(s, "conditioner.embedders.").ifPresent(k -> fail(src, "looks like SDXL (it has \"" + k
        + "\": SDXL's conditioner.embedders text encoders)"));
    first(s, UNET + "label_emb.").ifPresent(k -> fail(src, "looks like SDXL or a class-conditioned SD 2.x UNet"
        + " (it has \"" + k + "\": an added embedding SD 1.x does not have)"));
    if (first(s, UNET).isEmpty()) {
      List<String> some = s.keys().stream().limit(5).toList();
      String hint = s.contains("conv_in.weight") || s.contains("text_model.embeddings.token_embedding.weight")
          || s.contains("encoder.conv_in.weight")
          ? "; it looks like one component of a diffusers folder: load the folder with TextToImageModel.load" : "";
      fail(src, "is not a Stable Diffusion checkpoint: no " + UNET + "* keys (" + s.keys().size() + " keys, e.g. "
          + some.stream().map(k -> "\"" + k + "\"").collect(Collectors.joining(", ")) + ")" + hint);
    }
    first(s, "cond_stage_model.model.").ifPresent(k -> fail(src, "looks like SD 2.x (it has \"" + k
        + "\": an open_clip text encoder; SD 1.x has CLIP ViT-L under cond_stage_model.transformer.)"));
    String convIn = UNET + "input_blocks.0.0.weight";
    if (s.contains(convIn) && s.shape(convIn).length == 4) {
      long in = s.shape(convIn)[1];
      if (in == 9) {
        fail(src, "looks like an SD 1.x inpainting model (\"" + convIn + "\" has shape " + shape(s, convIn)
            + ": 9 input channels, latents + mask + masked image); draft4j loads text-to-image SD 1.x (4 channels)");
      }
      if (in == 8) {
        fail(src, "looks like an instruct-pix2pix model (\"" + convIn + "\" has shape " + shape(s, convIn)
            + ": 8 input channels, latents + image latents); draft4j loads text-to-image SD 1.x (4 channels)");
      }
    }
    for (String k : s.keys()) {
      if (k.startsWith(UNET) && k.endsWith(".attn2.to_k.weight") && s.shape(k).length == 2) {
        long ctx = s.shape(k)[1];
        if (ctx == 1024) {
          fail(src, "looks like SD 2.x (\"" + k + "\" has shape " + shape(s, k)
              + ": 1024-wide cross-attention context, OpenCLIP ViT-H; SD 1.x has 768)");
        }
        if (ctx == 2048 || ctx == 1280) {
          fail(src, "looks like SDXL (\"" + k + "\" has shape " + shape(s, k) + ": " + ctx
              + "-wide cross-attention context; SD 1.x has 768)");
        }
      }
      if (k.startsWith(UNET) && k.contains(".transformer_blocks.1.")) {
        fail(src, "looks like SDXL (it has \"" + k + "\": more than one transformer block per attention; SD 1.x has 1)");
      }
      if (k.startsWith(UNET) && k.endsWith(".proj_in.weight") && s.shape(k).length == 2) {
        fail(src, "looks like SD 2.x (\"" + k + "\" has shape " + shape(s, k)
            + ": a linear projection, SD 2.x's use_linear_projection; SD 1.x has 1x1 convolutions)");
      }
    }
  }

  private static Optional<String> first(TensorStore s, String prefix) {
    return s.keys().stream().filter(k -> k.startsWith(prefix)).findFirst();
  }

  private static String shape(TensorStore s, String key) {
    return java.util.Arrays.toString(s.shape(key));
  }

  private static void fail(String source, String what) {
    throw new IllegalArgumentException(source + " " + what + "; draft4j loads Stable Diffusion 1.x checkpoints");
  }
}
