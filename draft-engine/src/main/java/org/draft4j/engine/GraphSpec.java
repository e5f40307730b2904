package org.draft4j.engine;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * What to compile: a graph, which of its variables are fed per call (and whether they carry the
 * batch), which are returned (and how shards combine), and for a gradient graph which ops are the
 * forward pass and how that pass is segmented for checkpointing.
 *
 * @param forwardOps creation index in the forward graph of every forward op (null: no gradient)
 * @param segments checkpointing segments of the forward graph (null: none)
 */
record GraphSpec(SameDiff graph, Map<String, Boolean> inputs, Map<String, CompiledGraph.Combine> outputs,
    Map<String, Integer> forwardOps, Segments segments, String label) {
  Set<String> inputNames() {
    return inputs.keySet();
  }

  List<String> outputNames() {
    return List.copyOf(outputs.keySet());
  }
}
