package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.Test;

/**
 * UNet and VAE configs written through Jackson: diffusers' key names with {@code _class_name} first,
 * the constants draft4j implements included, and a round trip through the readers that refuse what
 * draft4j does not implement. References: diffusers' own config files of the golden models in
 * ../shared/diffusers-golden, and the layout of the shipped ShapesWorld unet/config.json.
 */
class ModelConfigJsonTest {
  @Test
  void diffusersUnetConfigRoundTrips() throws Exception {
    Path dir = SharedData.require("diffusers-golden/tiny_unet_seed0");
    UNet2DConditionConfig c = UNet2DConditionConfig.load(dir.resolve("config.json"));
    Map<String, Object> written = c.toJson();
    assertEquals(List.of("_class_name", "sample_size", "in_channels", "out_channels", "block_out_channels",
        "layers_per_block", "down_block_types", "mid_block_type", "up_block_types", "attention_head_dim",
        "cross_attention_dim", "norm_num_groups", "norm_eps", "flip_sin_to_cos", "freq_shift", "act_fn"),
        List.copyOf(written.keySet()));
    assertEquals(c, UNet2DConditionConfig.fromJson(Json.parseObject(Json.write(written)), "written"));
    assertSameValues(dir, written, "block_out_channels", "down_block_types", "up_block_types", "cross_attention_dim",
        "mid_block_type", "act_fn");
  }

  @Test
  void unetConfigTextIsTheShippedLayout() {
    UNet2DConditionConfig c = new UNet2DConditionConfig(32, 3, 3, new int[] {32, 64, 64}, 1,
        List.of("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        List.of("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"), new int[] {4, 4, 4}, 64, 8, 1e-5, true, 0);
    assertEquals("{\"_class_name\":\"UNet2DConditionModel\",\"sample_size\":32,\"in_channels\":3,\"out_channels\":3,"
        + "\"block_out_channels\":[32,64,64],\"layers_per_block\":1,\"down_block_types\":[\"DownBlock2D\","
        + "\"CrossAttnDownBlock2D\",\"CrossAttnDownBlock2D\"],\"mid_block_type\":\"UNetMidBlock2DCrossAttn\","
        + "\"up_block_types\":[\"CrossAttnUpBlock2D\",\"CrossAttnUpBlock2D\",\"UpBlock2D\"],\"attention_head_dim\":"
        + "[4,4,4],\"cross_attention_dim\":64,\"norm_num_groups\":8,\"norm_eps\":1.0E-5,\"flip_sin_to_cos\":true,"
        + "\"freq_shift\":0,\"act_fn\":\"silu\"}", Json.write(c.toJson()));
  }

  @Test
  void diffusersVaeConfigRoundTrips() throws Exception {
    Path dir = SharedData.require("diffusers-golden/tiny_vae_seed0");
    AutoencoderKLConfig c = AutoencoderKLConfig.load(dir.resolve("config.json"));
    Map<String, Object> written = c.toJson();
    assertEquals(List.of("_class_name", "in_channels", "out_channels", "down_block_types", "up_block_types",
        "block_out_channels", "layers_per_block", "act_fn", "latent_channels", "norm_num_groups", "sample_size",
        "scaling_factor"), List.copyOf(written.keySet()));
    AutoencoderKLConfig back = AutoencoderKLConfig.fromJson(Json.parseObject(Json.write(written)), "written");
    assertEquals(Json.write(written), Json.write(back.toJson()));
    assertSameValues(dir, written, "down_block_types", "up_block_types", "block_out_channels", "latent_channels",
        "scaling_factor", "act_fn");
  }

  /** The written config holds the same values as diffusers' own {@code dir/config.json} under {@code keys}. */
  private static void assertSameValues(Path dir, Map<String, Object> written, String... keys) throws Exception {
    Map<String, Object> original = Json.parseObject(java.nio.file.Files.readString(dir.resolve("config.json")));
    Map<String, Object> reread = Json.parseObject(Json.write(written));
    for (String k : keys) {
      assertEquals(original.get(k), reread.get(k), k);
    }
  }
}
