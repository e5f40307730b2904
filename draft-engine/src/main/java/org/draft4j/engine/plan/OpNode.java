package org.draft4j.engine.plan;

import java.util.List;
import org.nd4j.autodiff.functions.DifferentialFunction;

/**
 * One operation of a schedule: a graph op, or a cheaper replacement made by a {@link Rewrites}
 * rule, reading and writing tensors by name. Recomputed copies of forward ops (checkpointing) are
 * nodes of their own whose outputs carry a {@code #r} suffix.
 *
 * @param op the op to execute (its arguments; its own input/output names are not used)
 * @param inputs tensor names read, in the op's argument order
 * @param outputs tensor names written, in the op's output order
 * @param forward whether the op belongs to the forward pass of a gradient graph
 * @param segment checkpointing segment of a forward op (-1 when none)
 * @param note what a rewrite did, for plan dumps (empty for graph ops)
 */
public record OpNode(DifferentialFunction op, List<String> inputs, List<String> outputs, boolean forward, int segment,
    String note) {
  public OpNode {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** The op's type name, e.g. {@code matmul}. */
  String opName() {
    return op.opName();
  }

  @Override
  public String toString() {
    return opName() + inputs + " -> " + outputs + (note.isEmpty() ? "" : " (" + note + ")");
  }
}
