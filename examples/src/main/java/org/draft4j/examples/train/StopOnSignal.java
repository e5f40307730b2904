package org.draft4j.examples.train;

import java.util.ArrayList;
import java.util.List;
import org.draft4j.train.DraftTrainer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT (Ctrl-C) during {@code train --checkpoints}: the first one asks the trainer to
 * stop at the next step boundary ({@link DraftTrainer#requestStop()}, which writes the checkpoint),
 * so the command can end with {@link #EXIT_STATUS}; a second one ends the process at once (status
 * 128 + the signal's number, as the default handler would). A signal that comes before the trainer
 * exists is kept and passed on when it is {@linkplain #watch registered}. {@link #close()} puts the
 * previous handlers back. Where the JVM does not let handlers be installed ({@code -Xrs}), signals
 * keep their default effect.
 */
final class StopOnSignal implements AutoCloseable {
  /** The launcher's exit status for a run stopped by a signal after writing its checkpoint. */
  static final int EXIT_STATUS = 3;

  private final List<Signal> signals = new ArrayList<>();
  private final List<SignalHandler> previous = new ArrayList<>();
  private volatile DraftTrainer trainer;
  private volatile String received;

  private StopOnSignal() {}

  /** Installs the handlers for TERM and INT. */
  static StopOnSignal install() {
    StopOnSignal s = new StopOnSignal();
    for (String name : List.of("TERM", "INT")) {
      try {
        Signal sig = new Signal(name);
        SignalHandler old = Signal.handle(sig, s::handle);
        s.signals.add(sig);
        s.previous.add(old);
      } catch (IllegalArgumentException e) {
        // not available here (-Xrs, or no such signal): the default effect stays
      }
    }
    return s;
  }

  private void handle(Signal sig) {
    if (received != null) {
      System.err.println("\nSIG" + sig.getName() + " again: quitting without waiting for the checkpoint");
      Runtime.getRuntime().halt(128 + sig.getNumber());
    }
    received = "SIG" + sig.getName();
    System.err.println("\n" + received + ": stopping after the current step and writing the checkpoint"
        + " (send it again to quit at once)");
    DraftTrainer t = trainer;
    if (t != null) {
      t.requestStop();
    }
  }

  /** The trainer to stop; a signal already received stops it at its first step boundary. */
  void watch(DraftTrainer t) {
    trainer = t;
    if (received != null) {
      t.requestStop();
    }
  }

  /** The signal received ("SIGTERM", "SIGINT"), or null. */
  String received() {
    return received;
  }

  @Override
  public void close() {
    for (int i = 0; i < signals.size(); i++) {
      Signal.handle(signals.get(i), previous.get(i));
    }
  }
}
