package org.draft4j.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-size bench's code path at toy sizes: the latent model, PickScore-shaped and aesthetic
 * CLIPs are written as diffusers / Hugging Face folders, loaded back through the public loaders, and
 * DRaFT-1, DRaFT-LV(2) and full-DRaFT steps run through the VAE decoder and the CLIP reward.
 */
class RealSizeStepTest {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("unchecked")
  void stepsRunOnSavedLatentModelFolders() throws Exception {
    for (String part : new String[] {"sd15", "pickscore", "aesthetic"}) {
      RealSizeStep.prepare(dir, part, true);
    }
    for (String[] c : new String[][] {{"draft-1", "pickscore"}, {"draft-lv2", "pickscore"}, {"draft", "aesthetic"}}) {
      Map<String, Object> r = RealSizeStep.step(dir, c[0], c[1], 2, c[0].equals("draft-1"), "folder");
      List<Number> losses = (List<Number>) r.get("loss");
      assertEquals(2, losses.size(), r.toString());
      assertTrue(losses.stream().allMatch(l -> Double.isFinite(l.doubleValue())), r.toString());
      assertEquals(true, r.get("adapter_changed"), "the LoRA trained: " + r);
      Map<String, Double> byGraph = (Map<String, Double>) r.get("last_step_by_graph_s");
      assertTrue(byGraph.keySet().stream().anyMatch(k -> k.contains("vjp")), byGraph.toString());
      assertTrue(byGraph.keySet().stream().anyMatch(k -> k.contains("with gradient")), byGraph.toString());
      if (c[0].equals("draft-1")) {
        assertTrue(r.containsKey("decode_with_gradient_s") && r.containsKey("reward_with_gradient_s"), r.toString());
      }
    }
  }
}
