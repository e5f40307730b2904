package org.draft4j.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.draft4j.models.UNet2DConditionConfig;
import org.junit.jupiter.api.Test;

class UNetFlopsTest {
  @Test
  void sd15CountMatchesPublishedModuleMacs() {
    // golden: BK-SDM (Kim et al., 2023, Table 1) reports 339 G MACs for the SD 1.x UNet at 64×64
    // latents with 77 context tokens, counted per module (attention matrix products excluded)
    UNet2DConditionConfig sd = UNet2DConditionConfig.fromJson(Map.of(), "SD 1.5 defaults");
    assertEquals(339e9, UNetFlops.macs(sd, 77, false), 0.01 * 339e9);
    assertTrue(UNetFlops.macs(sd, 77) > UNetFlops.macs(sd, 77, false));
  }

  @Test
  void transformerCountsEachProjection() {
    // c = 4, N = 9 tokens, L = 2 context tokens of width 3: proj 2·16·9, self 4·16·9 + 2·81·4,
    // cross 2·16·9 + 2·4·3·2 + 2·9·2·4, feed-forward 12·16·9
    double want = 288 + 576 + 648 + 288 + 48 + 144 + 1728;
    assertEquals(want, UNetFlops.transformer(4, 9, 2, 3, 1), 1e-9);
  }
}
