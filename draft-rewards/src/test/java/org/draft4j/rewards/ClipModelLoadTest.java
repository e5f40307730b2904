package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.models.ModelFolder;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One tiny CLIPModel folder in each weight form transformers writes (interop/make_clip_bin.py:
 * {@code pytorch_model.bin} and its shards by torch.save, {@code model.safetensors}; sharded
 * safetensors written here): every form loads to the same weights.
 */
class ClipModelLoadTest {
  static final String DIR = "clip-bin/";

  static void assertSameWeights(ClipModel want, ClipModel got, String what) {
    assertEquals(want.parameters().asMap().keySet(), got.parameters().asMap().keySet(), what);
    want.parameters().asMap().forEach((k, v) -> assertEquals(v, got.parameters().get(k), what + " " + k));
  }

  static ClipModel safetensors() throws IOException {
    return ClipModel.load(InteropFixtures.require(DIR + "safetensors"));
  }

  @Test
  void pytorchModelBinLoadsAsModelSafetensors() throws IOException {
    ClipModel bin = ClipModel.load(InteropFixtures.require(DIR + "bin"));
    assertSameWeights(safetensors(), bin, "pytorch_model.bin");
    assertTrue(bin.parameters().source().endsWith("pytorch_model.bin"), bin.parameters().source());
  }

  @Test
  void shardedBinLoadsAsModelSafetensors() throws IOException {
    assertSameWeights(safetensors(), ClipModel.load(InteropFixtures.require(DIR + "bin-sharded")), "sharded .bin");
  }

  @Test
  void shardedSafetensorsLoadAsOneFile(@TempDir Path dir) throws IOException {
    Path src = InteropFixtures.require(DIR + "safetensors");
    for (String f : List.of("config.json", "vocab.json", "merges.txt")) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    Map<String, INDArray> all = Safetensors.read(src.resolve("model.safetensors"));
    Map<String, INDArray> a = new LinkedHashMap<>();
    Map<String, INDArray> b = new LinkedHashMap<>();
    Map<String, Object> weightMap = new LinkedHashMap<>();
    all.forEach((k, v) -> {
      boolean first = k.startsWith("text_model.");
      (first ? a : b).put(k, v);
      weightMap.put(k, first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
    });
    Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), a, Map.of());
    Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), b, Map.of());
    Files.writeString(dir.resolve("model.safetensors.index.json"),
        Json.writePretty(Map.of("metadata", Map.of(), "weight_map", weightMap)));
    assertSameWeights(safetensors(), ClipModel.load(dir), "sharded safetensors");
  }

  @Test
  void aMissingVariantIsRefusedListingTheFolder() {
    Path src = InteropFixtures.require(DIR + "safetensors");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClipModel.load(ModelFolder.of(src), "fp16"));
    assertTrue(e.getMessage().contains("variant \"fp16\"") && e.getMessage().contains("model.safetensors"),
        e.getMessage());
  }

  /** A folder without tokenizer files (PickScore_v1's) gets OpenAI's BPE when its vocabulary is OpenAI's size. */
  @Test
  void aFolderWithoutTokenizerFilesUsesOpenAisBpe(@TempDir Path dir) throws IOException {
    org.draft4j.text.ClipTokenizer openAi = org.draft4j.text.ClipTokenizer.openAi(77);
    ClipModel.random(new org.draft4j.models.ClipTextConfig(openAi.vocabSize(), 8, 16, 1, 2, 77, "gelu", 1e-5),
        new ClipVisionConfig(8, 16, 1, 2, 8, 4, 6, "gelu", 1e-5), 6, openAi, 1).save(dir, "{}", "");
    Files.delete(dir.resolve("vocab.json"));
    Files.delete(dir.resolve("merges.txt"));
    ClipModel m = ClipModel.load(dir);
    assertTrue(java.util.Arrays.equals(openAi.encodePadded("a photo of a cat"),
        m.tokenizer().encodePadded("a photo of a cat")));
    Path small = dir.resolve("small");
    Path src = InteropFixtures.require(DIR + "safetensors");
    Files.createDirectories(small);
    for (String f : List.of("config.json", "model.safetensors")) {
      Files.copy(src.resolve(f), small.resolve(f));
    }
    String msg = assertThrows(IllegalArgumentException.class, () -> ClipModel.load(small)).getMessage();
    assertTrue(msg.contains("no vocab.json or merges.txt") && msg.contains("49408"), msg);
  }
}
