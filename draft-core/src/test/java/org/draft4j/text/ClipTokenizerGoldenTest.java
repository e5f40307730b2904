package org.draft4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.api.Test;

/**
 * CLIP's tokenizer over the real CLIP vocabulary reproduces shared/clip-tokenizer/golden.json
 * (30 prompts; ids verified against OpenAI's simple_tokenizer and HF's slow CLIPTokenizer).
 */
class ClipTokenizerGoldenTest {
  @Test
  void reproducesGoldenIds() throws Exception {
    Path d = SharedData.require("clip-tokenizer");
    reproducesGolden(ClipTokenizer.load(d.resolve("vocab.json"), d.resolve("merges.txt"), 77), d);
  }

  /** The tokenizer built from the BPE file in the jar is Hugging Face's vocab.json token for token. */
  @Test
  void bundledOpenAiTokenizerEqualsHuggingFaceFiles() throws Exception {
    Path d = SharedData.require("clip-tokenizer");
    ClipTokenizer bundled = ClipTokenizer.openAi(77);
    assertEquals(49408, bundled.vocabSize());
    assertEquals(ClipTokenizer.readVocab(Files.readString(d.resolve("vocab.json"))), bundled.vocabulary());
    reproducesGolden(bundled, d);
  }

  @SuppressWarnings("unchecked")
  private static void reproducesGolden(ClipTokenizer tok, Path d) throws Exception {
    assertEquals(49406, tok.bosId());
    assertEquals(49407, tok.eosId());
    Object golden = Json.parse(Files.readString(d.resolve("golden.json")));
    List<Object> cases = golden instanceof Map<?, ?> m ? (List<Object>) m.values().stream()
        .filter(v -> v instanceof List).findFirst().orElseThrow() : (List<Object>) golden;
    assertEquals(30, cases.size());
    for (Object o : cases) {
      Map<String, Object> c = (Map<String, Object>) o;
      String text = (String) c.getOrDefault("text", c.get("prompt"));
      int[] want = ((List<Object>) c.get("ids")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
      int[] want77 = ((List<Object>) c.get("ids_77")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
      assertArrayEquals(want, tok.encode(text).stream().mapToInt(Integer::intValue).toArray(), text);
      assertArrayEquals(want77, tok.encodePadded(text), text);
    }
  }

  @Test
  void learnedVocabularyRoundTripsThroughFiles() {
    BpeTrainer.Vocabulary v = BpeTrainer.learn(List.of("a small red star", "a large red square", "red star"), 20);
    ClipTokenizer a = v.tokenizer(12);
    ClipTokenizer b = new ClipTokenizer(ClipTokenizer.readVocab(v.vocabJson()), ClipTokenizer.readMerges(v.mergesTxt()),
        12);
    assertArrayEquals(a.encodePadded("a red star"), b.encodePadded("a red star"));
    assertEquals(List.of(a.bosId(), v.vocab().get("red</w>"), v.vocab().get("star</w>"), a.eosId()),
        a.encode("Red   STAR"));
  }
}
