package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Regression: with the prompt-embedding cache full, a batch holding one cached prompt and several
 * new ones used to evict the cached prompt while inserting the new ones ("prompt cache lost an
 * entry", which stopped a pretraining run at step 453).
 */
class PromptCacheTest {
  @Test
  void batchesStayCorrectWhenTheCacheIsFull() {
    TextToImageModel m = TinyModels.model(1);
    INDArray first = m.encode(List.of("a red star 0"));
    for (int b = 0; b < 4200 / 300; b++) {
      List<String> batch = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        batch.add("a blue box " + (b * 300 + i));
      }
      m.encode(batch);
    }
    // 4,201 prompts went into a 4,096-entry cache: the eldest survivor is "a blue box 104"
    List<String> mixed = new ArrayList<>(List.of("a blue box 104"));
    for (int i = 0; i < 20; i++) {
      mixed.add("a green dot " + i);
    }
    mixed.add("a red star 0");
    INDArray e = m.encode(mixed);
    assertEquals(mixed.size(), e.size(0));
    assertEquals(first.get(NDArrayIndex.point(0)), e.get(NDArrayIndex.point(mixed.size() - 1)));
    INDArray direct = m.textEncoder().encode(new int[][] {m.tokenizer().encodePadded("a blue box 104")});
    assertEquals(direct.get(NDArrayIndex.point(0)), e.get(NDArrayIndex.point(0)));
  }
}
