package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A checkpoint of another configuration is refused by field: the trainer's and the pretraining stages', one rule. */
class RequireSameConfigurationTest {
  record Schedule(String prediction, int steps) {}

  record Run(long seed, double lr, Schedule schedule) {}

  private static final Path FILE = Path.of("ck/checkpoint.safetensors");

  @Test
  void theSameValuesInAnotherKeyOrderResume() {
    assertDoesNotThrow(() -> CheckpointMismatchException.requireSameConfiguration(FILE,
        "{\"schedule\":{\"steps\":9,\"prediction\":\"v\"},\"lr\":0.001,\"seed\":3}",
        new Run(3, 1e-3, new Schedule("v", 9))));
  }

  @Test
  void aDifferentLeafIsNamedWithItsPath() {
    CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
        () -> CheckpointMismatchException.requireSameConfiguration(FILE,
            "{\"seed\":3,\"lr\":0.001,\"schedule\":{\"prediction\":\"epsilon\",\"steps\":9}}",
            new Run(3, 1e-3, new Schedule("v", 9))));
    assertEquals("schedule.prediction", e.field());
    assertTrue(e.getMessage().contains("\"epsilon\"") && e.getMessage().contains("\"v\""), e.getMessage());
    assertEquals(FILE, e.file());
  }

  @Test
  void aFieldOnlyOneSideHasIsADifference() {
    CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
        () -> CheckpointMismatchException.requireSameConfiguration(FILE, "{\"seed\":3}", Map.of("seed", 3, "ema", 0.9)));
    assertEquals("ema", e.field());
    assertThrows(CheckpointMismatchException.class,
        () -> CheckpointMismatchException.requireSameConfiguration(FILE, null, Map.of("seed", 3)));
  }
}
