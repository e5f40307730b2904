package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsException;
import org.draft4j.io.ShardedWeights;
import org.draft4j.io.TensorStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/** Which weights file of a folder is read: diffusers' order, variants, shard indexes, and the errors. */
class WeightFilesTest {
  @TempDir Path dir;

  private void tensors(Path file, String... keys) {
    Map<String, org.nd4j.linalg.api.ndarray.INDArray> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keys.length; i++) {
      m.put(keys[i], Nd4j.createFromArray(new float[] {i, i + 0.5f}));
    }
    Safetensors.write(file, m, Map.of());
  }

  @Test
  void candidateNamesFollowDiffusersAndTransformers() {
    assertEquals(List.of("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json",
        "diffusion_pytorch_model.bin", "diffusion_pytorch_model.bin.index.json"),
        WeightFiles.candidates(WeightFiles.Naming.DIFFUSERS, null));
    assertEquals(List.of("model.fp16.safetensors", "model.safetensors.index.fp16.json", "pytorch_model.fp16.bin",
        "pytorch_model.bin.index.fp16.json"), WeightFiles.candidates(WeightFiles.Naming.TRANSFORMERS, "fp16"));
  }

  @Test
  void safetensorsArePreferredToBin() throws Exception {
    Files.createDirectories(dir.resolve("unet"));
    tensors(dir.resolve("unet/diffusion_pytorch_model.safetensors"), "w");
    Files.write(dir.resolve("unet/diffusion_pytorch_model.bin"), new byte[] {1, 2, 3}); // never opened
    try (TensorStore s = WeightFiles.open(ModelFolder.of(dir), "unet", WeightFiles.Naming.DIFFUSERS, null)) {
      assertTrue(s.source().endsWith("diffusion_pytorch_model.safetensors"), s.source());
      assertEquals(Set.of("w"), s.keys());
    }
  }

  @Test
  void aVariantIsReadByNameAndAMissingOneListsTheFolder() {
    tensors(dir.resolve("model.fp16.safetensors"), "a");
    ModelFolder f = ModelFolder.of(dir);
    try (TensorStore s = WeightFiles.open(f, "", WeightFiles.Naming.TRANSFORMERS, "fp16")) {
      assertEquals(Set.of("a"), s.keys());
    }
    String plain = assertThrows(IllegalArgumentException.class,
        () -> WeightFiles.open(f, "", WeightFiles.Naming.TRANSFORMERS, null)).getMessage();
    assertTrue(plain.contains("model.fp16.safetensors") && plain.contains("variants present: [fp16]"), plain);
    String other = assertThrows(IllegalArgumentException.class,
        () -> WeightFiles.open(f, "", WeightFiles.Naming.TRANSFORMERS, "bf16")).getMessage();
    assertTrue(other.contains("variant \"bf16\"") && other.contains("model.bf16.safetensors")
        && other.contains("the folder holds [model.fp16.safetensors]"), other);
    String bad = assertThrows(IllegalArgumentException.class,
        () -> WeightFiles.open(f, "", WeightFiles.Naming.TRANSFORMERS, "../x")).getMessage();
    assertTrue(bad.contains("variant = \"../x\""), bad);
  }

  private void index(Path file, String json) throws Exception {
    Files.writeString(file, "{\"metadata\": {\"total_size\": 16}, \"weight_map\": " + json + "}");
  }

  @Test
  void shardsReadAsOneStore() throws Exception {
    tensors(dir.resolve("model-00001-of-00002.safetensors"), "a", "b");
    tensors(dir.resolve("model-00002-of-00002.safetensors"), "c");
    index(dir.resolve("model.safetensors.index.json"), "{\"a\": \"model-00001-of-00002.safetensors\", "
        + "\"b\": \"model-00001-of-00002.safetensors\", \"c\": \"model-00002-of-00002.safetensors\"}");
    try (TensorStore s = WeightFiles.open(ModelFolder.of(dir), "", WeightFiles.Naming.TRANSFORMERS, null)) {
      assertTrue(s instanceof ShardedWeights);
      assertEquals(Set.of("a", "b", "c"), s.keys());
      assertEquals(0.5f, s.get("a").getFloat(1));
      assertEquals(0.5f, s.get("c").getFloat(1)); // first tensor of its shard
      assertEquals(1.5f, s.get("b").getFloat(1));
    }
  }

  @Test
  void aBrokenIndexIsRefusedNamingTheShardAndKey() throws Exception {
    tensors(dir.resolve("s1.safetensors"), "a", "b");
    Path idx = dir.resolve("i.safetensors.index.json");
    index(idx, "{\"a\": \"s1.safetensors\", \"b\": \"s1.safetensors\", \"c\": \"s2.safetensors\"}");
    String missing = assertThrows(SafetensorsException.class, () -> TensorStore.open(idx)).getMessage();
    assertTrue(missing.contains("weight_map[\"c\"] names shard s2.safetensors, which is missing"), missing);
    index(idx, "{\"a\": \"s1.safetensors\"}");
    String unlisted = assertThrows(SafetensorsException.class, () -> TensorStore.open(idx)).getMessage();
    assertTrue(unlisted.contains("holds \"b\", which the index does not list"), unlisted);
    tensors(dir.resolve("s2.safetensors"), "c");
    index(idx, "{\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\", \"c\": \"s2.safetensors\"}");
    String wrong = assertThrows(SafetensorsException.class, () -> TensorStore.open(idx)).getMessage();
    assertTrue(wrong.contains("places \"b\" in") && wrong.contains("does not hold it"), wrong);
    index(idx, "{\"a\": \"../s1.safetensors\"}");
    String escape = assertThrows(SafetensorsException.class, () -> TensorStore.open(idx)).getMessage();
    assertTrue(escape.contains("not a shard file name in the index's folder"), escape);
  }

  @Test
  void anFp16FolderReadsBackAsTheRoundedWeights() throws Exception {
    org.draft4j.text.BpeTrainer.Vocabulary v = org.draft4j.text.BpeTrainer.learn(List.of("a cat", "a dog"), 8);
    UNet2DConditionConfig uc = new UNet2DConditionConfig(8, 4, 4, new int[] {8, 16}, 1,
        List.of("CrossAttnDownBlock2D", "DownBlock2D"), List.of("UpBlock2D", "CrossAttnUpBlock2D"), new int[] {2, 2},
        8, 4, 1e-5, true, 0);
    TextToImageModel m = TextToImageModel.builder().id("t").tokenizer(v.tokenizer(8))
        .textEncoder(ClipTextModel.random(new ClipTextConfig(v.vocab().size(), 8, 16, 1, 2, 8, "quick_gelu", 1e-5), 2))
        .unet(UNet2DConditionModel.random(uc, 1))
        .vae(AutoencoderKL.random(new AutoencoderKLConfig(3, 3, new int[] {8, 16}, 1, 4, 4, 16, 0.18215), 3)).build();
    m.save(dir, v.vocabJson(), v.mergesTxt(), Map.of("_class_name", "DDIMScheduler"), WeightsFormat.fp16());
    for (String f : List.of("unet/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors",
        "text_encoder/model.fp16.safetensors")) {
      assertTrue(Files.exists(dir.resolve(f)), f);
    }
    String plain = assertThrows(IllegalArgumentException.class, () -> TextToImageModel.load(ModelFolder.of(dir), "t"))
        .getMessage();
    assertTrue(plain.contains("variants present: [fp16]"), plain);
    TextToImageModel back = TextToImageModel.load(ModelFolder.of(dir), "t", "fp16");
    for (var e : m.unet().parameters().asMap().entrySet()) {
      float[] want = e.getValue().dup().data().asFloat();
      for (int i = 0; i < want.length; i++) {
        want[i] = org.draft4j.io.TensorDecoding.halfToFloat(org.draft4j.io.TensorDecoding.floatToHalf(want[i]));
      }
      org.junit.jupiter.api.Assertions.assertArrayEquals(want,
          back.unet().parameters().get(e.getKey()).dup().data().asFloat(), e.getKey());
    }
  }

  @Test
  void aMissingVariantBesideAShardIndexIsNamed() throws Exception {
    tensors(dir.resolve("diffusion_pytorch_model-00001-of-00001.safetensors"), "w");
    index(dir.resolve("diffusion_pytorch_model.safetensors.index.json"),
        "{\"w\": \"diffusion_pytorch_model-00001-of-00001.safetensors\"}");
    String m = assertThrows(IllegalArgumentException.class,
        () -> WeightFiles.open(ModelFolder.of(dir), "", WeightFiles.Naming.DIFFUSERS, "fp16")).getMessage();
    assertTrue(m.contains("variant \"fp16\"") && m.contains("diffusion_pytorch_model.safetensors.index.json")
        && !m.contains("variants present"), m);
  }

  /**
   * A safetensors file is recognized by its header, whatever its first bytes: a 640-byte header length
   * starts with 0x80 0x02, a legacy pickle's opening; and other tools' SHA-256 metadata (kohya's
   * sshs_model_hash, modelspec.hash_sha256) is not taken for a damaged draft4j checksum.
   */
  @Test
  void otherToolsFilesOpenWhateverTheirHeaderLengthAndHashes() throws Exception {
    String sha = "a".repeat(64);
    String json = "{\"__metadata__\":{\"sshs_model_hash\":\"" + sha + "\",\"modelspec.hash_sha256\":\"0x" + sha
        + "\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    byte[] header = (json + " ".repeat(640 - json.length())).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 640 + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putLong(640).put(header).putFloat(1.5f).putFloat(-2f);
    Path p = dir.resolve("lora.safetensors");
    Files.write(p, b.array());
    assertEquals((byte) 0x80, Files.readAllBytes(p)[0]);
    assertEquals(2, Files.readAllBytes(p)[1]);
    try (TensorStore s = TensorStore.open(p)) {
      assertTrue(s instanceof org.draft4j.io.SafetensorsFile, s.getClass().toString());
      assertEquals(-2f, s.get("w").getFloat(1));
    }
  }

  @Test
  void unknownContentIsRefusedNamingTheFormats() throws Exception {
    Path p = dir.resolve("weights.bin");
    Files.writeString(p, "hello, not weights");
    String m = assertThrows(SafetensorsException.class, () -> TensorStore.open(p)).getMessage();
    assertTrue(m.startsWith(p.toString()) && m.contains("torch.save"), m);
  }
}
