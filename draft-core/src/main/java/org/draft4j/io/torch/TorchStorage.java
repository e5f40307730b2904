package org.draft4j.io.torch;

import org.draft4j.io.SafetensorsDType;

/**
 * One storage of a torch file as its persistent id names it: the key of its data record
 * ({@code archive/data/<key>} in the zip format, a position in the storage list in the legacy
 * format), the element type, the element count and the device it was saved from.
 *
 * @param key the storage key
 * @param dtype the element type (from {@code torch.FloatStorage} and the like)
 * @param numel the element count
 * @param location the device tag, e.g. {@code cpu} or {@code cuda:0} (informative only)
 */
public record TorchStorage(String key, SafetensorsDType dtype, long numel, String location) {
  /** The storage's size in bytes. */
  public long nbytes() {
    return numel * dtype.bytes();
  }
}
