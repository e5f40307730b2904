package org.draft4j.models;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.text.BpeTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A Stable-Diffusion-layout folder (unet, vae, text_encoder, tokenizer, scheduler) saves and loads. */
class ModelFolderTest {
  @TempDir Path dir;

  @Test
  void latentModelRoundTripsThroughDiffusersLayout() throws Exception {
    BpeTrainer.Vocabulary v = BpeTrainer.learn(List.of("a photo of a cat", "a painting of a dog"), 12);
    UNet2DConditionConfig uc = new UNet2DConditionConfig(8, 4, 4, new int[] {8, 16}, 1,
        List.of("CrossAttnDownBlock2D", "DownBlock2D"), List.of("UpBlock2D", "CrossAttnUpBlock2D"), new int[] {2, 2},
        8, 4, 1e-5, true, 0);
    AutoencoderKLConfig vc = new AutoencoderKLConfig(3, 3, new int[] {8, 16}, 1, 4, 4, 16, 0.18215);
    TextToImageModel m = TextToImageModel.builder().id("tiny-sd").tokenizer(v.tokenizer(8))
        .textEncoder(ClipTextModel.random(new ClipTextConfig(v.vocab().size(), 8, 16, 1, 2, 8, "quick_gelu", 1e-5), 2))
        .unet(UNet2DConditionModel.random(uc, 1)).vae(AutoencoderKL.random(vc, 3)).build();
    m.save(dir, v.vocabJson(), v.mergesTxt(), Map.of("_class_name", "DDIMScheduler"));
    for (String f : List.of("model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
        "vae/config.json", "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
        "tokenizer/vocab.json", "tokenizer/merges.txt", "scheduler/scheduler_config.json")) {
      assertTrue(Files.exists(dir.resolve(f)), f);
    }
    // transformers pools CLIP text at eos_token_id: the text encoder's config names the tokenizer's ids
    Map<String, Object> te = org.draft4j.io.Json.parseObject(Files.readString(dir.resolve("text_encoder/config.json")));
    assertEquals(m.tokenizer().eosId(), ((Number) te.get("eos_token_id")).intValue());
    assertEquals(m.tokenizer().bosId(), ((Number) te.get("bos_token_id")).intValue());
    TextToImageModel back = TextToImageModel.load(ModelFolder.of(dir), "tiny-sd");
    assertEquals(m.unet().config(), back.unet().config());
    assertArrayEquals(new long[] {4, 8, 8}, back.sampleShape());
    assertEquals(m.encode(List.of("a photo of a dog")), back.encode(List.of("a photo of a dog")));
    // latents decode through the VAE to 16x16 images in [0, 1]
    Nd4j.getRandom().setSeed(1);
    INDArray z = Nd4j.randn(DataType.FLOAT, 1, 4, 8, 8);
    RewardEvaluator ev = new RewardEvaluator((g, img) -> img.mean(1, 2, 3), back.decoder(), ExecutionContext.shared());
    RewardEvaluator.Result r = ev.evaluate(z, List.of("x"), true);
    assertArrayEquals(new long[] {1, 3, 16, 16}, r.images().shape());
    assertTrue(r.images().minNumber().doubleValue() >= 0 && r.images().maxNumber().doubleValue() <= 1);
    assertArrayEquals(z.shape(), r.gradient().shape());
    RewardEvaluator ev0 = new RewardEvaluator((g, img) -> img.mean(1, 2, 3), m.decoder(), ExecutionContext.shared());
    assertEquals(ev0.evaluate(z, List.of("x"), false).rewards(), r.rewards());
  }
}
