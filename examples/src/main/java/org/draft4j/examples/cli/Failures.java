package org.draft4j.examples.cli;

import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.draft4j.io.SafetensorsException;
import org.draft4j.train.CheckpointMismatchException;

/**
 * How an error reaches the user: whether it is bad input (the launcher's exit status 2) and its
 * one-line message, read through {@link UncheckedIOException} wrappers to the error beneath. The
 * launcher prints it as {@code error: <message>}; {@code train --spark-master} names a Spark failure
 * with it.
 */
public final class Failures {
  private Failures() {}

  private static Throwable root(Throwable e) {
    Throwable t = e;
    while (t instanceof UncheckedIOException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Whether {@code e} is bad input: an option's value, a missing or damaged file, another configuration. */
  public static boolean isBadInput(Throwable e) {
    Throwable t = root(e);
    return t instanceof IllegalArgumentException || t instanceof SafetensorsException
        || t instanceof CheckpointMismatchException || t instanceof NoSuchFileException
        || t instanceof FileNotFoundException || t instanceof AccessDeniedException;
  }

  /** The one-line message of {@code e}. */
  public static String message(Throwable e) {
    Throwable t = root(e);
    if (t instanceof NoSuchFileException n) {
      return "no such file: " + n.getFile();
    }
    if (t instanceof AccessDeniedException a) {
      return "permission denied: " + a.getFile();
    }
    if (t instanceof OutOfMemoryError) {
      return "out of memory (" + t.getMessage() + "); try a smaller batch or a larger -Xmx";
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip().replace("\n", " ");
  }
}
