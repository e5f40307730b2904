package org.draft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.draft4j.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The UNet pretraining stage with the zero-terminal-SNR schedule: v targets, recorded, resumable only as such. */
class PretrainShapesTest {
  @TempDir Path dir;

  @Test
  void zeroSnrStageRecordsItsScheduleAndRefusesAnotherOnResume() throws Exception {
    Path out = dir.resolve("z");
    PretrainShapes.main(new String[] {"--out", out.toString(), "--steps", "2", "--batch", "2", "--zero-snr", "true",
        "--checkpoint-every", "1"});
    List<String> log = Files.readAllLines(out.resolve("pretrain_log.jsonl"));
    assertEquals(2, log.size());
    assertTrue(log.stream().noneMatch(l -> l.contains("NaN") || l.contains("Infinity")), log.toString());
    try (SafetensorsFile cf = SafetensorsFile.openVerified(out.resolve("checkpoint.safetensors"))) {
      assertTrue(cf.metadata().get("config").contains("\"rescale_betas_zero_snr\":true")
          && cf.metadata().get("config").contains("v_prediction"), cf.metadata().get("config"));
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> PretrainShapes.main(new String[] {
        "--out", out.toString(), "--steps", "3", "--batch", "2", "--checkpoint-every", "1"}));
    assertTrue(e.getMessage().contains("another configuration"), e.getMessage());
  }
}
