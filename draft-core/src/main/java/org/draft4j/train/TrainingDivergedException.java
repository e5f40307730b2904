package org.draft4j.train;

/** Training stopped after too many consecutive non-finite losses or gradients. */
public class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
