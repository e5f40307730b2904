package org.draft4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the project-external test data in {@code ../shared} (diffusers goldens, CLIP vocabulary).
 * Tests that need it are skipped with a message where it is absent; it is never copied into the repo.
 */
public final class SharedData {
  private SharedData() {}

  /** {@code shared/<relative>}, searched upward from the working directory; skips the test if absent. */
  public static Path require(String relative) {
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 5 && dir != null; i++, dir = dir.getParent()) {
      for (Path cand : new Path[] {dir.resolve("shared").resolve(relative), dir.resolve("../shared").resolve(relative)}) {
        if (Files.exists(cand)) {
          return cand.normalize();
        }
      }
    }
    Assumptions.abort("test data shared/" + relative + " not found next to the checkout; skipping");
    return null;
  }
}
