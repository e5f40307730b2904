package org.draft4j.io;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writing a file so that it either appears whole or not at all. The bytes go to a temporary sibling
 * in the same directory (so the rename cannot cross file systems), which is forced to the device
 * ({@link FileChannel#force}) and then renamed over the target with {@link
 * StandardCopyOption#ATOMIC_MOVE} (falling back to a plain replacing move only where the file system
 * refuses atomic moves). A failure partway (disk full, an I/O error, an exception from the writer)
 * leaves any previous file intact, removes the temporary file and throws one {@link IOException}
 * naming the target. Every file draft4j writes that a user would lose (checkpoints, adapters, model
 * folders, provenance) goes through here.
 */
public final class AtomicFiles {
  /** The suffix of the temporary siblings, so that a crash's leftovers are recognisable. */
  public static final String TEMP_SUFFIX = ".tmp";

  private AtomicFiles() {}

  /** What writes a file's bytes to the stream it is given (buffered; the caller closes it). */
  @FunctionalInterface
  public interface Body {
    /** Writes the whole content to {@code out}. */
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes {@code text} as UTF-8 to {@code target}, atomically. */
  public static void writeString(Path target, String text) throws IOException {
    checkArgument(text != null, "text must not be null (target %s)", target);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    write(target, out -> out.write(bytes));
  }

  /**
   * Writes what {@code body} produces to {@code target}, atomically: a temporary sibling, fsync, then
   * a rename over any previous file. Parent directories are created. On failure the previous file
   * (if any) is untouched, no temporary file is left, and the {@link IOException} thrown names the
   * target; an unchecked exception from {@code body} is rethrown as is, after the same clean-up.
   */
  public static void write(Path target, Body body) throws IOException {
    checkArgument(target != null, "target must not be null");
    checkArgument(body != null, "body must not be null (target %s)", target);
    Path abs = target.toAbsolutePath();
    Path parent = abs.getParent();
    checkArgument(parent != null, "target = %s: must be a file inside a directory", target);
    checkArgument(!Files.isDirectory(abs), "target = %s: is a directory, expected a file", target);
    // a sibling created like any other file (the umask decides its mode; createTempFile would make it 0600)
    Path tmp = parent.resolve("." + abs.getFileName() + "." + Long.toHexString(System.nanoTime())
        + Long.toHexString(Thread.currentThread().getId()) + TEMP_SUFFIX);
    boolean moved = false;
    try {
      Files.createDirectories(parent);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        body.writeTo(out);
        out.flush(); // not close(): that would close the channel before force
        ch.force(true);
      }
      move(tmp, abs);
      moved = true;
      forceDirectory(parent);
    } catch (IOException e) {
      throw new IOException(target + ": cannot write (" + e + "); any previous file is left as it was", e);
    } finally {
      if (!moved) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException suppressed) {
          // the temporary file stays; the original error is the one worth reporting
        }
      }
    }
  }

  private static void move(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Makes the rename durable where the platform allows forcing a directory (Linux does; others may not). */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not supported here (e.g. Windows): the file itself is durable, the rename is as the FS makes it
    }
  }
}
