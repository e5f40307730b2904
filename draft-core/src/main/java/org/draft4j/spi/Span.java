package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Which steps of a chain a rollout runs and which of them it differentiates: steps
 * {@code [from, to)} run; those in {@code [differentiateFrom, to)} keep their inputs so that
 * {@link Trajectory#backward} can recompute and differentiate them (memory grows with that count,
 * not with the run). With {@code predictX0} the last step ends in the one-step prediction
 * {@code x̂₀} of the clean sample from its input instead of the next state (ReFL's read-out).
 *
 * @param from first step run
 * @param to one past the last step run
 * @param differentiateFrom first differentiated step ({@code to}: none)
 * @param predictX0 whether the output is the last step's {@code x̂₀} rather than {@code x_to}
 */
public record Span(int from, int to, int differentiateFrom, boolean predictX0) {
  public Span {
    checkArgument(0 <= from && from <= to, "span steps [%s, %s) must have 0 <= from <= to", from, to);
    checkArgument(from <= differentiateFrom && differentiateFrom <= to,
        "span differentiateFrom = %s must lie in [from, to] = [%s, %s]", differentiateFrom, from, to);
    checkArgument(!predictX0 || to > from, "span [%s, %s) with predictX0 needs at least one step", from, to);
  }

  /** Steps {@code [0, n)}, none differentiated: plain sampling. */
  public static Span all(int n) {
    return new Span(0, n, n, false);
  }

  /** Steps {@code [from, to)}, none differentiated. */
  public static Span of(int from, int to) {
    return new Span(from, to, to, false);
  }

  /** This span with steps {@code [step, to)} differentiated. */
  public Span differentiatingFrom(int step) {
    return new Span(from, to, step, predictX0);
  }

  /** This span with its last {@code k} steps differentiated. */
  public Span differentiatingLast(int k) {
    checkArgument(k >= 0 && k <= to - from, "span [%s, %s) cannot differentiate its last %s steps", from, to, k);
    return new Span(from, to, to - k, predictX0);
  }

  /** This span reading out the last step's {@code x̂₀} instead of its next state. */
  public Span endingInPredictedX0() {
    return new Span(from, to, differentiateFrom, true);
  }

  /** Number of differentiated steps. */
  public int differentiated() {
    return to - differentiateFrom;
  }
}
