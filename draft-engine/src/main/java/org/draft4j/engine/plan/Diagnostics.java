package org.draft4j.engine.plan;

/**
 * Debugging switches of the planner and executor, all off by default. They change what is checked
 * or logged, never a result.
 *
 * @param verifyKernels keep a copy of every kernel output of a plan's traced run, so that a failed
 *     plan verification names the first kernel that replays differently
 * @param probeOverwrite run every non-Java op of a trace twice, once over poisoned outputs, to find
 *     ops that read their output buffer before writing it
 * @param traceKernels log every kernel of every run with its shapes
 * @param profileShapes aggregate kernel times by op and shape instead of by op
 * @param memoryReport log what the peak of each new plan's arena holds
 */
public record Diagnostics(boolean verifyKernels, boolean probeOverwrite, boolean traceKernels, boolean profileShapes,
    boolean memoryReport) {
  /** Everything off. */
  public static final Diagnostics NONE = new Diagnostics(false, false, false, false, false);
}
