package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;
import org.junit.jupiter.api.Test;

class OpenClipConfigTest {
  /** open_clip v2.20.0 src/open_clip/model_configs/*.json, verbatim. */
  static final Map<String, String> OPEN_CLIP_JSON = Map.of(
      "ViT-B-32", "{\"embed_dim\":512,\"vision_cfg\":{\"image_size\":224,\"layers\":12,\"width\":768,\"patch_size\":32},"
          + "\"text_cfg\":{\"context_length\":77,\"vocab_size\":49408,\"width\":512,\"heads\":8,\"layers\":12}}",
      "ViT-L-14", "{\"embed_dim\":768,\"vision_cfg\":{\"image_size\":224,\"layers\":24,\"width\":1024,\"patch_size\":14},"
          + "\"text_cfg\":{\"context_length\":77,\"vocab_size\":49408,\"width\":768,\"heads\":12,\"layers\":12}}",
      "ViT-H-14", "{\"embed_dim\":1024,\"vision_cfg\":{\"image_size\":224,\"layers\":32,\"width\":1280,\"head_width\":80,"
          + "\"patch_size\":14},\"text_cfg\":{\"context_length\":77,\"vocab_size\":49408,\"width\":1024,\"heads\":16,"
          + "\"layers\":24}}",
      "ViT-g-14", "{\"embed_dim\":1024,\"vision_cfg\":{\"image_size\":224,\"layers\":40,\"width\":1408,\"head_width\":88,"
          + "\"mlp_ratio\":4.3637,\"patch_size\":14},\"text_cfg\":{\"context_length\":77,\"vocab_size\":49408,"
          + "\"width\":1024,\"heads\":16,\"layers\":24}}",
      "ViT-bigG-14", "{\"embed_dim\":1280,\"vision_cfg\":{\"image_size\":224,\"layers\":48,\"width\":1664,"
          + "\"head_width\":104,\"mlp_ratio\":4.9231,\"patch_size\":14},\"text_cfg\":{\"context_length\":77,"
          + "\"vocab_size\":49408,\"width\":1280,\"heads\":20,\"layers\":32}}");

  @Test
  void publishedTableEqualsOpenClipsOwnConfigs() {
    OPEN_CLIP_JSON.forEach((name, json) -> assertEquals(OpenClipConfig.PUBLISHED.get(name),
        OpenClipConfig.fromJson(Json.parseObject(json), name + ".json"), name));
  }

  @Test
  void vitH14IsGeluWithHeadWidth80() {
    OpenClipConfig c = OpenClipConfig.fromJson(Json.parseObject(OPEN_CLIP_JSON.get("ViT-H-14")), "ViT-H-14.json");
    assertEquals("gelu", c.visionConfig().hiddenAct());
    assertEquals("gelu", c.textConfig().hiddenAct());
    assertEquals(16, c.visionConfig().numAttentionHeads()); // 1280 / 80, not 1280 / 64
    assertEquals(5120, c.visionConfig().intermediateSize());
    assertEquals(1024, c.visionConfig().projectionDim());
    String quick = OPEN_CLIP_JSON.get("ViT-B-32").replaceFirst("\\{", "{\"quick_gelu\":true,");
    assertEquals("quick_gelu", OpenClipConfig.fromJson(Json.parseObject(quick), "q").textConfig().hiddenAct());
  }

  /** The state dict's shapes as open_clip's CLIP module defines them (model.py, transformer.py). */
  static Map<String, long[]> openClipShapes(OpenClipConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    int vd = c.visionWidth();
    int g = c.imageSize() / c.patchSize();
    m.put("visual.class_embedding", new long[] {vd});
    m.put("visual.positional_embedding", new long[] {g * g + 1, vd});
    m.put("visual.proj", new long[] {vd, c.embedDim()});
    m.put("visual.conv1.weight", new long[] {vd, 3, c.patchSize(), c.patchSize()});
    for (int i = 0; i < c.visionLayers(); i++) {
      block(m, "visual.transformer.resblocks." + i + ".", vd, c.visionMlpWidth());
    }
    m.put("positional_embedding", new long[] {c.contextLength(), c.textWidth()});
    m.put("text_projection", new long[] {c.textWidth(), c.embedDim()});
    m.put("logit_scale", new long[] {});
    m.put("token_embedding.weight", new long[] {c.vocabSize(), c.textWidth()});
    for (int i = 0; i < c.textLayers(); i++) {
      block(m, "transformer.resblocks." + i + ".", c.textWidth(), c.textMlpWidth());
    }
    return m;
  }

  private static void block(Map<String, long[]> m, String p, int d, int mlp) {
    m.put(p + "attn.in_proj_weight", new long[] {3L * d, d});
    m.put(p + "attn.in_proj_bias", new long[] {3L * d});
    m.put(p + "attn.out_proj.weight", new long[] {d, d});
    m.put(p + "mlp.c_fc.weight", new long[] {mlp, d});
    m.put(p + "mlp.c_proj.weight", new long[] {d, mlp});
  }

  @Test
  void infersVitH14FromItsShapes() {
    for (String name : OPEN_CLIP_JSON.keySet()) {
      OpenClipConfig want = OpenClipConfig.PUBLISHED.get(name);
      assertEquals(want, OpenClipConfig.infer(openClipShapes(want), name), name);
    }
  }

  @Test
  void unpublishedSizesAskForTheConfigJson() {
    OpenClipConfig tiny = new OpenClipConfig(6, 8, 4, 8, 2, 2, 16, 8, 40, 8, 1, 2, 16, false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OpenClipConfig.infer(openClipShapes(tiny), "tiny.pt"));
    assertTrue(e.getMessage().contains("tiny.pt") && e.getMessage().contains("width 8, layers 2")
        && e.getMessage().contains("model-config JSON"), e.getMessage());
    Map<String, long[]> odd = openClipShapes(OpenClipConfig.PUBLISHED.get("ViT-H-14"));
    odd.put("visual.positional_embedding", new long[] {250, 1280});
    e = assertThrows(IllegalArgumentException.class, () -> OpenClipConfig.infer(odd, "odd.pt"));
    assertTrue(e.getMessage().contains("visual.positional_embedding has 250 rows"), e.getMessage());
  }

  @Test
  void refusesArchitecturesItDoesNotBuild() {
    String h = OPEN_CLIP_JSON.get("ViT-H-14");
    for (String[] bad : new String[][] {
        {"\"head_width\":80", "\"head_width\":80,\"ls_init_value\":0.1", "ls_init_value = 0.1"},
        {"\"heads\":16", "\"heads\":16,\"embed_cls\":true", "embed_cls = true"},
        {"\"head_width\":80", "\"head_width\":80,\"attentional_pool\":true", "attentional_pool = true"},
        {"\"heads\":16", "\"heads\":16,\"hf_model_name\":\"xlm-roberta-large\"", "hf_model_name = xlm-roberta-large"},
        {"\"layers\":32", "\"layers\":[3,4,6,3]", "ModifiedResNet"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> OpenClipConfig.fromJson(Json.parseObject(h.replace(bad[0], bad[1])), "m.json"));
      assertTrue(e.getMessage().startsWith("m.json") && e.getMessage().contains(bad[2]), e.getMessage());
    }
  }
}
