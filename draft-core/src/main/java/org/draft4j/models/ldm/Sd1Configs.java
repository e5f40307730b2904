package org.draft4j.models.ldm;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.draft4j.io.TensorStore;
import org.draft4j.models.AutoencoderKLConfig;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.UNet2DConditionConfig;

/**
 * The diffusers configs of an SD 1.x checkpoint's components, read from tensor shapes and key
 * counts (no tensor is read). What shapes cannot tell comes from {@link SingleFileOptions}: UNet
 * heads, GroupNorm groups, text heads (default hidden / 64), sample size, VAE scaling factor. Fixed
 * as SD 1.x has them: norm eps 1e-5, flip_sin_to_cos, freq_shift 0, quick_gelu, layer-norm eps 1e-5.
 */
final class Sd1Configs {
  private final TensorStore store;
  private final String src;

  Sd1Configs(TensorStore store) {
    this.store = store;
    this.src = store.source();
  }

  /** The keys of {@code s} under {@code prefix}, with the prefix removed. */
  static Set<String> relative(TensorStore s, String prefix) {
    return s.keys().stream().filter(k -> k.startsWith(prefix)).map(k -> k.substring(prefix.length()))
        .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
  }

  /** The shape of {@code key}; a missing key or one of another rank names the file, the key and what was expected. */
  long[] shape(String key, int rank, String expected) {
    checkArgument(store.contains(key), "%s: missing key \"%s\" (expected shape %s)", src, key, expected);
    long[] s = store.shape(key);
    checkArgument(s.length == rank, "%s: key \"%s\" has shape %s, expected %s", src, key, Arrays.toString(s), expected);
    return s;
  }

  UNet2DConditionConfig unet(LdmUnetKeys.Layout l, SingleFileOptions o) {
    String p = LdmUnetKeys.PREFIX;
    long[] convIn = shape(p + "input_blocks.0.0.weight", 4, "[block_out_channels[0], in_channels, 3, 3]");
    long[] convOut = shape(p + "out.2.weight", 4, "[out_channels, block_out_channels[0], 3, 3]");
    int step = l.layersPerBlock() + 1;
    int[] boc = new int[l.levels()];
    for (int i = 0; i < l.levels(); i++) {
      boc[i] = (int) shape(p + "input_blocks." + (i * step + 1) + ".0.out_layers.3.weight", 4,
          "[block_out_channels[" + i + "], block_out_channels[" + i + "], 3, 3]")[0];
    }
    long[] toK = shape(p + "middle_block.1.transformer_blocks.0.attn2.to_k.weight", 2,
        "[block_out_channels[-1], cross_attention_dim]");
    List<String> down = new ArrayList<>();
    List<String> up = new ArrayList<>();
    for (int i = 0; i < l.levels(); i++) {
      down.add(l.downAttention().get(i) ? "CrossAttnDownBlock2D" : "DownBlock2D");
      up.add(l.upAttention().get(i) ? "CrossAttnUpBlock2D" : "UpBlock2D");
    }
    int[] heads = new int[l.levels()];
    Arrays.fill(heads, o.unetHeads());
    try {
      return new UNet2DConditionConfig(o.sampleSize(), (int) convIn[1], (int) convOut[0], boc, l.layersPerBlock(), down,
          up, heads, (int) toK[1], o.unetNormGroups(), 1e-5, true, 0);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(src + ": the UNet's shapes give no valid config (" + e.getMessage()
          + "; SingleFileOptions sets heads, norm groups and sample size)", e);
    }
  }

  private static final Pattern VAE_BLOCK = Pattern.compile("encoder\\.down\\.0\\.block\\.(\\d+)\\..*");

  AutoencoderKLConfig vae(SingleFileOptions o) {
    String p = LdmVaeKeys.PREFIX;
    Set<String> keys = relative(store, p);
    checkArgument(!keys.isEmpty(), "%s: no VAE (no %s* keys); an SD 1.x checkpoint holds its VAE there", src, p);
    int levels = LdmVaeKeys.levels(keys);
    checkArgument(levels >= 1, "%s: missing key \"%sencoder.down.0.block.0.conv1.weight\" (no VAE encoder levels)", src,
        p);
    TreeSet<Integer> blocks = new TreeSet<>();
    for (String k : keys) {
      Matcher m = VAE_BLOCK.matcher(k);
      if (m.matches()) {
        blocks.add(Integer.parseInt(m.group(1)));
      }
    }
    int layers = blocks.size();
    int[] boc = new int[levels];
    for (int i = 0; i < levels; i++) {
      boc[i] = (int) shape(p + "encoder.down." + i + ".block." + (layers - 1) + ".conv2.weight", 4,
          "[block_out_channels[" + i + "], block_out_channels[" + i + "], 3, 3]")[0];
    }
    long[] convIn = shape(p + "encoder.conv_in.weight", 4, "[block_out_channels[0], in_channels, 3, 3]");
    long[] convOut = shape(p + "decoder.conv_out.weight", 4, "[out_channels, block_out_channels[0], 3, 3]");
    long[] pq = shape(p + "post_quant_conv.weight", 4, "[latent_channels, latent_channels, 1, 1]");
    try {
      return new AutoencoderKLConfig((int) convIn[1], (int) convOut[0], boc, layers, (int) pq[0], o.vaeNormGroups(),
          o.sampleSize() << (levels - 1), o.scalingFactor());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(src + ": the VAE's shapes give no valid config (" + e.getMessage()
          + "; SingleFileOptions sets norm groups)", e);
    }
  }

  private static final Pattern TEXT_LAYER = Pattern.compile("(text_model\\.)?encoder\\.layers\\.(\\d+)\\..*");

  ClipTextConfig text(SingleFileOptions o) {
    String p = LdmTextKeys.PREFIX;
    Set<String> keys = relative(store, p);
    checkArgument(!keys.isEmpty(), "%s: no text encoder (no %s* keys); an SD 1.x checkpoint holds CLIP ViT-L's text"
        + " encoder there", src, p);
    String t = p + (LdmTextKeys.isLegacy(keys) ? "" : "text_model.");
    long[] tok = shape(t + "embeddings.token_embedding.weight", 2, "[vocab_size, hidden_size]");
    long[] pos = shape(t + "embeddings.position_embedding.weight", 2, "[max_position_embeddings, hidden_size]");
    long[] fc1 = shape(t + "encoder.layers.0.mlp.fc1.weight", 2, "[intermediate_size, hidden_size]");
    TreeSet<Integer> layers = new TreeSet<>();
    for (String k : keys) {
      Matcher m = TEXT_LAYER.matcher(k);
      if (m.matches()) {
        layers.add(Integer.parseInt(m.group(2)));
      }
    }
    int hidden = (int) tok[1];
    int heads;
    if (o.textHeads().isPresent()) {
      heads = o.textHeads().getAsInt();
    } else {
      checkArgument(hidden % 64 == 0, "%s: the text encoder's hidden size %s (\"%s\" has shape %s) is not a multiple"
          + " of CLIP's head width 64; SingleFileOptions.textHeads sets the heads", src, hidden,
          t + "embeddings.token_embedding.weight", Arrays.toString(tok));
      heads = hidden / 64;
    }
    try {
      return new ClipTextConfig((int) tok[0], hidden, (int) fc1[0], layers.size(), heads, (int) pos[0], "quick_gelu",
          1e-5);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(src + ": the text encoder's shapes give no valid config (" + e.getMessage()
          + ")", e);
    }
  }
}
