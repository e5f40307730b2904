package org.draft4j.models.ldm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.AutoencoderKL;
import org.draft4j.models.AutoencoderKLConfig;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.api.Test;

/**
 * The LDM ↔ diffusers key mapping on names alone: against the file diffusers' own
 * convert_diffusers_to_original_stable_diffusion.py wrote from the sd-tiny diffusers folder (every
 * key of one maps onto exactly the keys of the other), and on SD 1.5's real names.
 */
class LdmKeyMappingTest {
  static Set<String> keys(Path file) {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      return new TreeSet<>(f.keys());
    }
  }

  static Set<String> under(Set<String> keys, String prefix) {
    Set<String> s = new TreeSet<>();
    for (String k : keys) {
      if (k.startsWith(prefix)) {
        s.add(k.substring(prefix.length()));
      }
    }
    return s;
  }

  @Test
  void diffusersScriptOutputMapsOntoTheDiffusersFolderKeyForKey() {
    Set<String> ldm = keys(InteropFixtures.require("sd-tiny/ldm.safetensors"));
    Set<String> unet = under(ldm, LdmUnetKeys.PREFIX);
    Set<String> vae = under(ldm, LdmVaeKeys.PREFIX);
    Set<String> text = under(ldm, LdmTextKeys.PREFIX);
    assertEquals(ldm.size(), unet.size() + vae.size() + text.size(), "every key is one component's");

    LdmUnetKeys.Layout layout = LdmUnetKeys.layout(unet, "ldm.safetensors");
    assertEquals(new LdmUnetKeys.Layout(4, 2, java.util.List.of(true, true, true, false),
        java.util.List.of(false, true, true, true)), layout);
    Set<String> hfUnet = keys(InteropFixtures.require("sd-tiny/diffusers/unet/diffusion_pytorch_model.safetensors"));
    assertEquals(hfUnet, mapped(unet, k -> LdmUnetKeys.toDiffusers(k, layout)));
    assertEquals(unet, mapped(hfUnet, k -> LdmUnetKeys.toLdm(k, layout)));

    int levels = LdmVaeKeys.levels(vae);
    assertEquals(4, levels);
    Set<String> hfVae = keys(InteropFixtures.require("sd-tiny/diffusers/vae/diffusion_pytorch_model.safetensors"));
    assertEquals(hfVae, mapped(vae, k -> LdmVaeKeys.toDiffusers(k, levels)));
    assertEquals(vae, mapped(hfVae, k -> LdmVaeKeys.toLdm(k, levels)));

    Set<String> hfText = keys(InteropFixtures.require("sd-tiny/diffusers/text_encoder/model.safetensors"));
    assertFalse(LdmTextKeys.isLegacy(text));
    assertEquals(hfText, mapped(text, LdmTextKeys::toDiffusers));
    assertEquals(text, mapped(hfText, k -> LdmTextKeys.toLdm(k, false)));
  }

  static Set<String> mapped(Set<String> keys, java.util.function.Function<String, String> f) {
    Set<String> s = new TreeSet<>();
    for (String k : keys) {
      String m = f.apply(k);
      assertTrue(m != null, "no mapping for " + k);
      s.add(m);
    }
    assertEquals(keys.size(), s.size(), "the mapping is one to one");
    return s;
  }

  @Test
  void stableDiffusion15NamesAsTheOriginalCheckpointHasThem() {
    UNet2DConditionConfig sd15 = UNet2DConditionConfig.fromJson(Map.of(), "SD 1.5 defaults");
    Map<String, long[]> shapes = UNet2DConditionModel.parameterShapes(sd15);
    assertEquals(686, shapes.size(), "SD 1.5's UNet has 686 tensors");
    assertArrayEquals(new long[] {320, 4, 3, 3}, shapes.get("conv_in.weight"));
    LdmUnetKeys.Layout l = LdmUnetKeys.Layout.of(sd15);
    Map<String, String> known = Map.of(
        "down_blocks.0.downsamplers.0.conv.weight", "input_blocks.3.0.op.weight",
        "down_blocks.1.resnets.0.conv_shortcut.weight", "input_blocks.4.0.skip_connection.weight",
        "down_blocks.3.resnets.1.norm2.bias", "input_blocks.11.0.out_layers.0.bias",
        "mid_block.resnets.1.time_emb_proj.weight", "middle_block.2.emb_layers.1.weight",
        "up_blocks.0.upsamplers.0.conv.weight", "output_blocks.2.1.conv.weight",
        "up_blocks.1.upsamplers.0.conv.bias", "output_blocks.5.2.conv.bias",
        "up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_k.weight",
        "output_blocks.11.1.transformer_blocks.0.attn2.to_k.weight",
        "time_embedding.linear_2.weight", "time_embed.2.weight",
        "conv_norm_out.bias", "out.0.bias",
        "up_blocks.2.resnets.2.conv1.weight", "output_blocks.8.0.in_layers.2.weight");
    known.forEach((hf, ldm) -> {
      assertEquals(ldm, LdmUnetKeys.toLdm(hf, l), hf);
      assertEquals(hf, LdmUnetKeys.toDiffusers(ldm, l), ldm);
    });
    Set<String> ldmKeys = mapped(shapes.keySet(), k -> LdmUnetKeys.toLdm(k, l));
    assertEquals(l, LdmUnetKeys.layout(ldmKeys, "sd15"), "the layout is found again from the LDM names");
    assertEquals(shapes.keySet(), mapped(ldmKeys, k -> LdmUnetKeys.toDiffusers(k, l)));
  }

  @Test
  void namesNoRuleMapsGiveNull() {
    LdmUnetKeys.Layout l = LdmUnetKeys.Layout.of(UNet2DConditionConfig.fromJson(Map.of(), "sd15"));
    assertNull(LdmUnetKeys.toDiffusers("label_emb.0.0.weight", l));
    assertNull(LdmUnetKeys.toDiffusers("input_blocks.1.0.in_layers.1.weight", l), "in_layers.1 is the SiLU");
    assertNull(LdmUnetKeys.toDiffusers("input_blocks.10.1.proj_in.weight", l), "level 3 has no attention in SD 1.x");
    assertNull(LdmUnetKeys.toDiffusers("input_blocks.12.0.in_layers.0.weight", l), "past the last level");
    assertNull(LdmVaeKeys.toDiffusers("encoder.down.4.block.0.conv1.weight", 4));
    assertNull(LdmVaeKeys.toDiffusers("decoder.mid.attn_1.norm.running_mean", 4));
    assertNull(LdmVaeKeys.toLdm("decoder.up_blocks.0.attentions.0.to_q.weight", 4));
  }

  @Test
  void emaKeysAreTheNameAfterModelWithoutDots() {
    assertEquals("model_ema.diffusion_modelinput_blocks00weight",
        LdmUnetKeys.emaKey("model.diffusion_model.input_blocks.0.0.weight"));
    assertEquals("model_ema.diffusion_modelmiddle_block1transformer_blocks0attn2to_kweight",
        LdmUnetKeys.emaKey("model.diffusion_model.middle_block.1.transformer_blocks.0.attn2.to_k.weight"));
  }

  @Test
  void vaeAttentionWeightsAreOneByOneConvolutionsInLdm() {
    AutoencoderKLConfig sd15 = AutoencoderKLConfig.fromJson(Map.of("block_out_channels", java.util.List.of(128, 256,
        512, 512), "layers_per_block", 2), "SD 1.5 vae");
    Map<String, long[]> shapes = AutoencoderKL.parameterShapes(sd15);
    assertEquals(248, shapes.size(), "SD 1.5's VAE has 248 tensors");
    assertEquals("decoder.up.0.block.0.nin_shortcut.weight",
        LdmVaeKeys.toLdm("decoder.up_blocks.3.resnets.0.conv_shortcut.weight", 4));
    assertEquals("encoder.mid.attn_1.proj_out.weight", LdmVaeKeys.toLdm("encoder.mid_block.attentions.0.to_out.0"
        + ".weight", 4));
    assertEquals("decoder.up.3.upsample.conv.bias", LdmVaeKeys.toLdm("decoder.up_blocks.0.upsamplers.0.conv.bias", 4));
    assertEquals("encoder.norm_out.weight", LdmVaeKeys.toLdm("encoder.conv_norm_out.weight", 4));
    assertArrayEquals(new long[] {512, 512, 1, 1}, LdmVaeKeys.ldmShape("decoder.mid.attn_1.q.weight",
        shapes.get("decoder.mid_block.attentions.0.to_q.weight")));
    assertArrayEquals(new long[] {512}, LdmVaeKeys.ldmShape("decoder.mid.attn_1.q.bias",
        shapes.get("decoder.mid_block.attentions.0.to_q.bias")));
    assertFalse(LdmVaeKeys.isAttentionConv("decoder.mid.attn_1.norm.weight"));
    for (String k : shapes.keySet()) {
      assertEquals(k, LdmVaeKeys.toDiffusers(LdmVaeKeys.toLdm(k, 4), 4));
    }
  }

  @Test
  void textKeysOfEitherTransformersLayoutMapToTextModel() {
    assertEquals("text_model.encoder.layers.0.mlp.fc1.weight", LdmTextKeys.toDiffusers("encoder.layers.0.mlp.fc1.weight"));
    assertEquals("text_model.final_layer_norm.bias", LdmTextKeys.toDiffusers("text_model.final_layer_norm.bias"));
    assertEquals("embeddings.token_embedding.weight",
        LdmTextKeys.toLdm("text_model.embeddings.token_embedding.weight", true));
    assertTrue(LdmTextKeys.isLegacy(Set.of("embeddings.position_ids", "final_layer_norm.weight")));
    assertFalse(LdmTextKeys.isLegacy(Set.of("text_model.final_layer_norm.weight")));
    assertTrue(LdmTextKeys.isIgnored("text_model.embeddings.position_ids"));
    assertTrue(LdmTextKeys.isIgnored("embeddings.position_ids"));
    assertFalse(LdmTextKeys.isIgnored("text_model.embeddings.position_embedding.weight"));
  }
}
