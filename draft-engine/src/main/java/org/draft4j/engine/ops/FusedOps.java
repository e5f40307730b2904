package org.draft4j.engine.ops;

/** Registers every fused op with SameDiff's op-name table (once). */
final class FusedOps {
  private static boolean done;

  private FusedOps() {}

  static synchronized void registerAll() {
    if (done) {
      return;
    }
    done = true;
    FusedOp.register(new GroupNormOp());
    FusedOp.register(new GroupNormBackwardOp());
    FusedOp.register(new LayerNormOp());
    FusedOp.register(new LayerNormBackwardOp());
    FusedOp.register(new GatedOp());
    FusedOp.register(new GatedBackwardOp());
    FusedOp.register(new ActivationOp());
    FusedOp.register(new ActivationBackwardOp());
  }
}
