package org.draft4j.train;

/**
 * The count of steps whose update was skipped because the loss or a gradient was NaN or infinite,
 * in all and in a row; too many in a row stop training.
 */
final class NonFiniteSteps {
  private final int maxInARow;
  private long total;
  private int inARow;

  /** @param maxInARow consecutive skipped steps that stop training, {@code >= 1} */
  NonFiniteSteps(int maxInARow) {
    this.maxInARow = maxInARow;
  }

  /**
   * Counts step {@code m}: a skipped one adds to both counts, a good one ends a run of skipped ones.
   *
   * @param checkpoint where the last good checkpoint is, for the message ({@link Checkpointing#whereLastGood})
   * @throws TrainingDivergedException when {@code maxInARow} steps in a row were skipped
   */
  void count(StepMetrics m, String checkpoint) {
    if (!m.skipped()) {
      inARow = 0;
      return;
    }
    total++;
    if (++inARow >= maxInARow) {
      throw new TrainingDivergedException(inARow + " consecutive steps had a non-finite loss or gradient (last: step "
          + m.step() + ", loss " + m.loss() + "); stopped. The last good checkpoint" + checkpoint
          + " is intact; lower the learning rate or clip gradients (AdamW.clipNorm)");
    }
  }

  /** Steps skipped so far. */
  long total() {
    return total;
  }
}
