package org.draft4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Function;

/**
 * Opening a weights file for a reader that keeps its channel open ({@link SafetensorsFile},
 * {@link org.draft4j.io.torch.TorchFile}): when the reader cannot be made, the channel is closed
 * again and an I/O failure becomes the format's own exception.
 */
public final class ReadChannels {
  private ReadChannels() {}

  /** Makes a reader over an open channel, which it then owns. */
  @FunctionalInterface
  public interface Reader<T> {
    /** The reader over {@code channel}. */
    T read(FileChannel channel) throws IOException;
  }

  /**
   * {@code reader} over {@code path} opened for reading.
   *
   * @param cannot the exception an {@link IOException} becomes (the reader's runtime exceptions pass
   *     through unchanged)
   */
  public static <T> T open(Path path, Reader<T> reader, Function<IOException, RuntimeException> cannot) {
    FileChannel ch = null;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
      return reader.read(ch);
    } catch (IOException e) {
      closeQuietly(ch);
      throw cannot.apply(e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /** Closes {@code channel} (null: nothing), ignoring a failure: there is nothing left to release. */
  public static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing to release
      }
    }
  }
}
