package org.draft4j.examples.pretrain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A pretraining input made once and cached in a safetensors file stamped with the settings that
 * made it and the captions of its images ({@link PreferenceSet}, {@link SdeditPool}): a later run
 * loads it only under the same settings and refuses it under others.
 */
final class CachedSet {
  private CachedSet() {}

  /**
   * The cached file opened (checksum verified) when it exists; null when there is none.
   *
   * @param settings the settings of this run, as the file stores them
   * @param what what the file holds, for the refusal ("a preference set")
   * @throws IllegalArgumentException when the file was made by other settings
   */
  static SafetensorsFile openIfMade(Path file, String settings, String what) {
    if (!Files.exists(file)) {
      return null;
    }
    SafetensorsFile f = SafetensorsFile.openVerified(file);
    String made = f.metadata().get("settings");
    if (!settings.equals(made)) {
      f.close();
      throw new IllegalArgumentException(file + " holds " + what + " of other settings (" + made + ", now "
          + settings + "); delete it or give another --out");
    }
    return f;
  }

  /** The captions a cached file stores. */
  static List<String> captions(SafetensorsFile f) throws IOException {
    return List.of(Json.mapper().readValue(f.metadata().get("captions"), String[].class));
  }

  /** Writes {@code tensors} to {@code file} (its folder made), stamped with the settings and captions. */
  static void write(Path file, Map<String, INDArray> tensors, String settings, List<String> captions)
      throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Safetensors.write(file, tensors, Map.of("settings", settings, "captions", Json.write(captions)));
  }
}
