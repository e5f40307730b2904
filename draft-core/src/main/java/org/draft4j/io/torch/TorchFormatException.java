package org.draft4j.io.torch;

import org.draft4j.io.SafetensorsException;

/**
 * A PyTorch {@code torch.save} file that cannot be read: damaged, truncated, or outside what draft4j
 * reads. The message names the file, the zip entry or pickle byte offset, the storage or tensor key,
 * the value found and what was expected. A subclass of the weights-file exception, so callers of
 * {@link org.draft4j.io.TensorStore#open} catch one type for every format.
 */
public class TorchFormatException extends SafetensorsException {
  private static final long serialVersionUID = 1L;

  /** An error with its full message (file first). */
  public TorchFormatException(String message) {
    super(message);
  }

  /** An error caused by an I/O or decoding failure. */
  public TorchFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
