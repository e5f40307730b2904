package org.draft4j.sampling;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Gives native memory of arrays a chain made back now, not when the collector gets to them. */
final class Release {
  private Release() {}

  /** Closes each array (nulls, views and already-closed arrays are skipped). */
  static void of(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && !a.wasClosed() && a.closeable()) {
        a.close();
      }
    }
  }
}
