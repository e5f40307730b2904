package org.draft4j.engine.kernel;

/** One bound step of a plan: runs an op over arrays fixed when the plan was bound. */
public interface Kernel {
  /** Executes the step. */
  void run();

  /** The op type, for profiles. */
  String opName();
}
