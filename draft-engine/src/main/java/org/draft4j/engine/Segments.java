package org.draft4j.engine;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Checkpointing segments of a forward graph, recorded while it is built: each mark starts a
 * segment containing every op created after it, up to the next mark. A gradient plan with
 * checkpointing keeps only the tensors that cross segment boundaries and recomputes a segment's
 * inside when the backward pass first needs it.
 */
public final class Segments {
  private final SameDiff graph;
  private final List<Integer> starts = new ArrayList<>();
  private final List<String> labels = new ArrayList<>();

  public Segments(SameDiff graph) {
    this.graph = graph;
  }

  /** Starts a segment at the next op created in the graph. */
  public void begin(String label) {
    int at = graph.getOps().size();
    if (!starts.isEmpty() && starts.get(starts.size() - 1) == at) {
      labels.set(labels.size() - 1, label); // empty segment: relabel
      return;
    }
    starts.add(at);
    labels.add(label);
  }

  /** The graph these segments describe. */
  public SameDiff graph() {
    return graph;
  }

  /** Number of segments (0 when none were marked). */
  public int size() {
    return starts.size();
  }

  /** The segment of the op created at position {@code opIndex} (-1 before the first mark). */
  public int segmentOf(int opIndex) {
    checkArgument(opIndex >= 0, "op index %s", opIndex);
    int lo = 0;
    int hi = starts.size() - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (starts.get(mid) <= opIndex) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The label of segment i. */
  public String label(int i) {
    return labels.get(i);
  }
}
