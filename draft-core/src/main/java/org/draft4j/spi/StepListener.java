package org.draft4j.spi;

/** Progress of a sampling run: called after each step. */
@FunctionalInterface
public interface StepListener {
  void onStep(int step, int numSteps);
}
