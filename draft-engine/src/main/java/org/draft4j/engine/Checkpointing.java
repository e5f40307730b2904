package org.draft4j.engine;

/**
 * Whether a gradient plan recomputes activations in its backward pass instead of keeping them
 * (activation checkpointing per segment, as PyTorch's {@code torch.utils.checkpoint} per block).
 * Segments are marked while a graph is built ({@code GraphBuilder.segment}); inside a segment only
 * the tensors that leave it are kept, everything else is recomputed from them when the backward
 * needs it.
 */
public enum Checkpointing {
  /** Keep every activation the backward needs (fastest; memory grows with the graph). */
  NEVER,
  /**
   * Checkpoint when the plan without checkpointing would need more arena memory than
   * {@link ExecutionOptions#activationBudgetBytes()} (decided once per graph and shape).
   */
  AUTO,
  /** Always recompute inside segments (least memory; about one more forward pass of compute). */
  ALWAYS
}
