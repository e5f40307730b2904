package org.draft4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the interop fixtures committed under {@code interop/fixtures/} at the repository root:
 * small models and files written by real PyTorch, diffusers and open_clip code
 * ({@code interop/make_fixtures.py}), with the reference outputs those libraries computed. They are
 * part of the repository, so a missing one fails the test instead of skipping it.
 */
public final class InteropFixtures {
  private InteropFixtures() {}

  /** {@code interop/fixtures/<relative>}, searched upward from the working directory. */
  public static Path require(String relative) {
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 5 && dir != null; i++, dir = dir.getParent()) {
      Path cand = dir.resolve("interop").resolve("fixtures").resolve(relative);
      if (Files.exists(cand)) {
        return cand.normalize();
      }
    }
    throw new AssertionError("interop fixture interop/fixtures/" + relative + " not found above "
        + Path.of("").toAbsolutePath() + " (it is committed; run interop/make_fixtures.py to remake it)");
  }
}
