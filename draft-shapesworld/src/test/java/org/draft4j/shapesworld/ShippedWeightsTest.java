package org.draft4j.shapesworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.draft4j.models.TextToImageModel;
import org.draft4j.rewards.AestheticHead;
import org.draft4j.rewards.ClipModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The weights shipped in the examples jar are intact and load through the public loaders. */
class ShippedWeightsTest {
  private static byte[] resource(String path) throws IOException {
    try (InputStream in = ShippedWeightsTest.class.getClassLoader().getResourceAsStream(path)) {
      assertNotNull(in, "missing classpath resource " + path);
      return in.readAllBytes();
    }
  }

  @Test
  void everyShippedFileMatchesItsChecksum() throws Exception {
    for (String dir : List.of("shapesworld", "shapesworld-clip", "shapesworld-aesthetic")) {
      String sums = new String(resource(dir + "/CHECKSUMS.sha256"), StandardCharsets.UTF_8);
      int n = 0;
      for (String line : sums.split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String want = line.substring(0, 64);
        String file = line.substring(line.indexOf("./") + 2);
        String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(resource(dir + "/" + file)));
        assertEquals(want, got, dir + "/" + file);
        n++;
      }
      assertTrue(n >= 2, dir + " lists only " + n + " files");
    }
  }

  @Test
  void modelClipAndHeadLoadAndAgreeOnTheTokenizer() {
    TextToImageModel m = ShapesWorldModel.pretrained();
    ClipModel clip = ShapesWorldModel.clip();
    AestheticHead head = ShapesWorldModel.aestheticHead();
    assertEquals(clip.projectionDim(), head.inputDim());
    // the diffusion model's text encoder is stage 2's CLIP text tower; the reward CLIP continued
    // that CLIP (pretrain-shapes stage 5): same tokens, a text tower of the same shape, other weights
    String caption = "a small red star on a blue background";
    assertEquals(java.util.Arrays.toString(clip.tokenizer().encodePadded(caption)),
        java.util.Arrays.toString(m.tokenizer().encodePadded(caption)));
    int text = 0;
    for (var e : m.textEncoder().parameters().asMap().entrySet()) {
      INDArray w = clip.parameters().get(e.getKey());
      assertTrue(w != null, "reward CLIP lacks " + e.getKey());
      assertEquals(java.util.Arrays.toString(e.getValue().shape()), java.util.Arrays.toString(w.shape()), e.getKey());
      text++;
    }
    assertTrue(text > 10, text + " text-encoder tensors");
    String q = "text_model.encoder.layers.0.self_attn.q_proj.weight";
    assertTrue(!clip.parameters().get(q).equals(m.textEncoder().parameters().get(q)), "the reward CLIP trained on");
  }

  /**
   * Hugging Face transformers pools CLIP text at the config's {@code eos_token_id} (default 49407);
   * the shipped configs must name the world tokenizer's ids (examples/scripts/hf_crosscheck.py
   * showed 0.6 off in the CLIP's text features without them, and 1e-7 with them).
   */
  @Test
  @SuppressWarnings("unchecked")
  void shippedClipConfigsNameTheTokenizersSpecialTokens() throws IOException {
    ClipModel clip = ShapesWorldModel.clip();
    java.util.Map<String, Object> te = org.draft4j.io.Json.parseObject(
        new String(resource("shapesworld/text_encoder/config.json"), StandardCharsets.UTF_8));
    java.util.Map<String, Object> cc = (java.util.Map<String, Object>) org.draft4j.io.Json.parseObject(
        new String(resource("shapesworld-clip/config.json"), StandardCharsets.UTF_8)).get("text_config");
    for (java.util.Map<String, Object> c : List.of(te, cc)) {
      assertEquals(clip.tokenizer().eosId(), ((Number) c.get("eos_token_id")).intValue(), c.toString());
      assertEquals(clip.tokenizer().bosId(), ((Number) c.get("bos_token_id")).intValue(), c.toString());
    }
  }
}
