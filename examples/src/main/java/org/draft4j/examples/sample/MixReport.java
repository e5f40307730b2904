package org.draft4j.examples.sample;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.draft4j.io.Json;

/**
 * What {@code mix} measured, written beside its grid ({@code <out>.json}): the adapters, the row
 * weights and each row's RMS pixel distance from the first row, over the same prompts and seeds.
 */
public record MixReport(List<String> adapters, List<Double> weights,
    @JsonProperty("rms_distance_from_first_row") List<Double> distances, List<String> prompts) {
  void write(Path file) throws IOException {
    Files.writeString(file, Json.writePretty(this));
  }

  /** Reads a report {@code mix} wrote. */
  public static MixReport read(Path file) throws IOException {
    try {
      return Json.mapper().readValue(Files.readString(file), MixReport.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": " + e.getOriginalMessage(), e);
    }
  }
}
