package org.draft4j.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Read access to a diffusers-style model folder, either on disk or on the classpath, by relative
 * path ({@code unet/config.json}). Missing files fail with the full location.
 */
public interface ModelFolder {
  /** The bytes of a file, or an {@link UncheckedIOException} naming it. */
  byte[] read(String relative);

  /** Whether the file exists. */
  boolean exists(String relative);

  /** Human-readable location for error messages. */
  String location(String relative);

  /**
   * Opens a safetensors file of the folder: read from disk on demand for folders on disk (so weights files
   * larger than 2 GB, such as SD 1.5's UNet, load), from its bytes otherwise.
   */
  default org.draft4j.io.SafetensorsFile openSafetensors(String relative) {
    return org.draft4j.io.SafetensorsFile.fromBytes(read(relative), location(relative));
  }

  /**
   * Opens a weights file of the folder in any format draft4j reads ({@link org.draft4j.io.TensorStore#open}:
   * safetensors, a shard index, a torch.save file) on disk; a folder on the classpath holds safetensors only.
   */
  default org.draft4j.io.TensorStore openWeights(String relative) {
    return openSafetensors(relative);
  }

  /**
   * The file names in the sub-folder {@code relative} ({@code ""} for the top), sorted, for error
   * messages; empty where the folder cannot be listed (the classpath).
   */
  default java.util.List<String> list(String relative) {
    return java.util.List.of();
  }

  /** Parses a JSON object file ({@code unet/config.json}); malformed JSON is an error naming the file. */
  default java.util.Map<String, Object> readJson(String relative) {
    String text = readString(relative);
    try {
      return org.draft4j.io.Json.parseObject(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(location(relative) + ": " + e.getMessage(), e);
    }
  }

  /** Reads a UTF-8 text file. */
  default String readString(String relative) {
    return new String(read(relative), StandardCharsets.UTF_8);
  }

  /** A folder on disk. */
  static ModelFolder of(Path dir) {
    return new ModelFolder() {
      @Override
      public byte[] read(String relative) {
        try {
          return Files.readAllBytes(dir.resolve(relative));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + dir.resolve(relative) + " (" + e + ")", e);
        }
      }

      @Override
      public boolean exists(String relative) {
        return Files.exists(dir.resolve(relative));
      }

      @Override
      public org.draft4j.io.SafetensorsFile openSafetensors(String relative) {
        return org.draft4j.io.SafetensorsFile.open(dir.resolve(relative));
      }

      @Override
      public org.draft4j.io.TensorStore openWeights(String relative) {
        return org.draft4j.io.TensorStore.open(dir.resolve(relative));
      }

      @Override
      public java.util.List<String> list(String relative) {
        try (java.util.stream.Stream<Path> s = Files.list(dir.resolve(relative))) {
          return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
          return java.util.List.of();
        }
      }

      @Override
      public String location(String relative) {
        return dir.resolve(relative).toString();
      }
    };
  }

  /** A folder on the classpath under {@code prefix} (for weights shipped in a jar). */
  static ModelFolder classpath(ClassLoader loader, String prefix) {
    return new ModelFolder() {
      @Override
      public byte[] read(String relative) {
        try (InputStream in = loader.getResourceAsStream(prefix + "/" + relative)) {
          if (in == null) {
            throw new UncheckedIOException(new IOException("classpath resource " + location(relative) + " not found"));
          }
          return in.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + location(relative), e);
        }
      }

      @Override
      public boolean exists(String relative) {
        return loader.getResource(prefix + "/" + relative) != null;
      }

      @Override
      public String location(String relative) {
        return "classpath:" + prefix + "/" + relative;
      }
    };
  }
}
