package org.draft4j.engine;

/** Which executor runs a library graph. */
public enum ExecutionMode {
  /**
   * draft4j's engine: plans made once per graph and shape, fused ops, intermediates freed at
   * their last use, optional checkpointing and batch-parallel workers (the default).
   */
  ENGINE,
  /**
   * SameDiff's own session executor on the unfused graph, as draft4j ran before the engine, with a
   * garbage collection per call to return native memory: kept for side-by-side measurements and
   * cross-checks only.
   */
  SAMEDIFF
}
