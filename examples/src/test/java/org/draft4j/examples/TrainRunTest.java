package org.draft4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainRunTest {
  @TempDir Path dir;

  @Test
  void configFileIsReadAndBadSettingsAreNamed() throws Exception {
    Path cfg = dir.resolve("run.conf");
    Files.writeString(cfg, "# a comment\nobjective = draft-lv\nlv-n = 3\n\nreward = compressibility\n");
    Map<String, String> s = TrainRun.readConfig(cfg);
    assertEquals(Map.of("objective", "draft-lv", "lv-n", "3", "reward", "compressibility"), s);
    assertEquals("draftLv(3)", TrainRun.objective(s, 10).name());
    Files.writeString(cfg, "objectve = draft\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainRun.readConfig(cfg));
    assertTrue(e.getMessage().contains("run.conf:1") && e.getMessage().contains("objectve"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainRun.objective(Map.of("objective", "dpo"), 10));
    assertTrue(e.getMessage().contains("dpo") && e.getMessage().contains("draft-lv"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainRun.objective(Map.of("k", "one"), 10));
    assertTrue(e.getMessage().contains("k = \"one\""), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainRun.reward(Map.of("reward", "beauty")));
    assertTrue(e.getMessage().contains("beauty"), e.getMessage());
    assertEquals("refl(7, 9)", TrainRun.objective(Map.of("objective", "refl"), 10).name());
  }

  @Test
  void mixWeightsParse() {
    assertArrayEquals(new double[] {0, 0.5, 1}, FlagValues.numbers("weights", "0, 0.5,1"));
    assertThrows(IllegalArgumentException.class, () -> FlagValues.numbers("weights", "0,half"));
  }

  @Test
  void smoothingAndMeansOfCurves() {
    assertArrayEquals(new double[] {1, 1.5, 2.5}, Results.smooth(new double[] {1, 2, 3}, 2), 1e-12);
    assertArrayEquals(new double[] {2, 3}, Results.mean(java.util.List.of(new double[] {1, 2, 9},
        new double[] {3, 4})), 1e-12);
  }
}
