package org.draft4j.io.torch;

import java.nio.file.Path;
import org.draft4j.io.TensorStore;

/** PyTorch {@code torch.save} files (placeholder while the reader is written). */
public final class TorchFile {
  private TorchFile() {}

  public static TensorStore open(Path file) {
    throw new UnsupportedOperationException(file + ": torch.save files are not read yet");
  }
}
