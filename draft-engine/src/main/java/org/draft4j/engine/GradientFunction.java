package org.draft4j.engine;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * SameDiff's reverse-mode differentiation of a graph's loss, made once per graph: the gradient
 * function (a second graph holding the forward ops, the loss and the backward ops) and the names
 * of the gradient variables in it. SameDiff prints a line per differentiated op to standard output;
 * those lines are dropped here.
 */
public final class GradientFunction {
  private static final String FN = "grad";

  private GradientFunction() {}

  /** The gradient function of {@code sd} (created on first use; the loss variables must be set). */
  public static synchronized SameDiff function(SameDiff sd) {
    SameDiff g = sd.getFunction(FN);
    if (g == null) {
      PrintStream out = System.out;
      System.setOut(new PrintStream(new FilteringStream(out), true, StandardCharsets.UTF_8));
      try {
        sd.createGradFunction();
      } finally {
        System.setOut(out);
      }
      g = sd.getFunction(FN);
      // copying the graph leaves (empty) SameDiff sessions behind; nothing executes in them
      sd.getSessions().clear();
      g.getSessions().clear();
    }
    return g;
  }

  /**
   * For each name in {@code wrt}, the name of its gradient variable in the gradient function, or
   * null where the loss does not depend on it.
   */
  public static synchronized Map<String, String> names(SameDiff sd, Collection<String> wrt) {
    SameDiff g = function(sd);
    Map<String, String> m = new LinkedHashMap<>();
    for (String w : wrt) {
      SDVariable v = g.hasVariable(w) ? g.getVariable(w) : null;
      SDVariable grad = v == null ? null : v.gradient();
      m.put(w, grad == null ? null : grad.name());
    }
    return m;
  }

  /** Passes output through, except SameDiff's "Added differentiated op" lines. */
  private static final class FilteringStream extends OutputStream {
    private static final byte[] DROP = "Added differentiated op".getBytes(StandardCharsets.US_ASCII);
    private final PrintStream target;
    private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

    FilteringStream(PrintStream target) {
      this.target = target;
    }

    @Override
    public synchronized void write(int b) {
      line.write(b);
      if (b == '\n') {
        emit();
      }
    }

    private void emit() {
      byte[] bytes = line.toByteArray();
      line.reset();
      boolean drop = bytes.length >= DROP.length;
      for (int i = 0; drop && i < DROP.length; i++) {
        drop = bytes[i] == DROP[i];
      }
      if (!drop) {
        target.write(bytes, 0, bytes.length);
      }
    }

    @Override
    public synchronized void flush() {
      target.flush();
    }

    @Override
    public synchronized void close() {
      if (line.size() > 0) {
        emit();
      }
      target.flush();
    }
  }
}
