package org.draft4j.io.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Regions of a torch file: headers and checksummed chunks read into the heap; a strided view's storage
 * region memory-mapped (contiguous tensors are read by {@link org.draft4j.io.TensorDecoding#read}).
 */
final class FileBytes {
  private FileBytes() {}

  /** {@code len} bytes at {@code pos} read into the heap; a short read is an error naming {@code what}. */
  static ByteBuffer read(FileChannel ch, long pos, int len, String source, String what) {
    ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (b.hasRemaining()) {
        if (ch.read(b, pos + b.position()) < 0) {
          throw new TorchFormatException(source + ": " + what + " at byte " + pos + " is cut off after "
              + b.position() + " of " + len + " bytes (truncated)");
        }
      }
    } catch (IOException ex) {
      throw new TorchFormatException(source + ": cannot read " + what + " at byte " + pos + " (" + ex + ")", ex);
    }
    return b.flip().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** {@code len} bytes at {@code pos} mapped read-only (nothing is read until the buffer is). */
  static ByteBuffer map(FileChannel ch, long pos, long len, String source, String what) {
    if (len > Integer.MAX_VALUE) {
      throw new TorchFormatException(source + ": " + what + " spans " + len + " bytes, more than one mapping holds ("
          + Integer.MAX_VALUE + ")");
    }
    try {
      return ch.map(FileChannel.MapMode.READ_ONLY, pos, len).order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException ex) {
      throw new TorchFormatException(source + ": cannot map " + what + " at bytes [" + pos + ", " + (pos + len) + ") ("
          + ex + ")", ex);
    }
  }
}
