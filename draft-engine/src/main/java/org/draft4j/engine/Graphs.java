package org.draft4j.engine;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;

/** Creating graphs for the library. */
public final class Graphs {
  private Graphs() {}

  /**
   * An empty SameDiff graph that holds its constants and variables by reference. SameDiff's default
   * holders keep a second copy of every array (for replication to other devices), which doubles the
   * memory of a model's weights (3.4 GB extra for an SD 1.5 UNet) and hides in-place updates from
   * copies; draft4j's graphs are executed by the engine, which binds arrays itself.
   */
  public static SameDiff create() {
    SameDiff sd = SameDiff.create();
    sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
    return sd;
  }
}
