package org.draft4j.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.draft4j.io.Json;

/** Listener appending one JSON object per step to a file (flushed every line). */
public final class JsonlMetrics implements TrainingListener, AutoCloseable {
  private final BufferedWriter w;

  public JsonlMetrics(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open metrics file " + file, e);
    }
  }

  @Override
  public void onStep(StepMetrics m) {
    try {
      w.write(Json.write(m.toMap()));
      w.newLine();
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metrics", e);
    }
  }

  @Override
  public void close() {
    try {
      w.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
