package org.draft4j.engine;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs one library graph with fixed inputs and outputs and, optionally, gradients of its loss: on
 * the engine ({@link CompiledGraph}, the default) or on SameDiff's session executor
 * ({@link ExecutionMode#SAMEDIFF}, for comparisons). Models, samplers and rewards call graphs only
 * through this class.
 *
 * <pre>{@code
 * GraphRunner r = GraphRunner.builder(sd).context(ctx).input("x", true).output("y").gradient("x").build();
 * GraphRunner.Result res = r.run(Map.of("x", x));   // res.outputs().get("y"), res.gradients().get("x")
 * }</pre>
 */
public final class GraphRunner implements AutoCloseable {
  /** Outputs by variable name and gradients by the name of the variable they are taken with respect to. */
  public record Result(Map<String, INDArray> outputs, Map<String, INDArray> gradients) {}

  private final SameDiff forward;
  private final Map<String, Boolean> inputs;
  private final List<String> outputs;
  private final List<String> wrt;
  private final Map<String, String> gradNames;
  private final ExecutionContext context;
  private final CompiledGraph compiled;
  private final String label;
  private boolean closed;

  private GraphRunner(Builder b) {
    this.forward = b.graph;
    this.inputs = new LinkedHashMap<>(b.inputs);
    this.outputs = List.copyOf(b.outputs);
    this.wrt = List.copyOf(b.wrt);
    checkState(b.context != null, "%s: no execution context; give .context(ExecutionContext.create(options)) or"
        + " .context(ExecutionContext.shared())", b.label);
    this.context = b.context;
    this.label = b.label;
    if (!wrt.isEmpty()) {
      gradNames = GradientFunction.names(forward, wrt);
    } else {
      gradNames = Map.of();
    }
    if (context.options().mode() == ExecutionMode.ENGINE) {
      SameDiff g = wrt.isEmpty() ? forward : GradientFunction.function(forward);
      CompiledGraph.Builder cb = CompiledGraph.builder(g).context(context).label(label);
      inputs.forEach(cb::input);
      for (String o : outputs) {
        cb.output(o, CompiledGraph.Combine.CONCAT);
      }
      for (String w : wrt) {
        String gn = gradNames.get(w);
        if (gn != null && !outputs.contains(gn)) {
          cb.output(gn, Boolean.TRUE.equals(inputs.get(w)) ? CompiledGraph.Combine.CONCAT : CompiledGraph.Combine.SUM);
        }
      }
      if (!wrt.isEmpty()) {
        cb.forward(forward, b.segments);
      }
      compiled = cb.build();
    } else {
      compiled = null;
    }
  }

  public static Builder builder(SameDiff graph) {
    return new Builder(graph);
  }

  /** The forward graph. */
  public SameDiff graph() {
    return forward;
  }

  /** The engine's compiled graph (null in {@link ExecutionMode#SAMEDIFF} mode), for diagnostics. */
  public CompiledGraph compiled() {
    return compiled;
  }

  /** Runs once; every returned array is new and owned by the caller. */
  public Result run(Map<String, INDArray> feeds) {
    checkState(!closed, "%s: runner is closed", label);
    for (String in : inputs.keySet()) {
      checkArgument(feeds.get(in) != null, "%s: input \"%s\" missing (inputs: %s)", label, in, inputs.keySet());
    }
    Map<String, INDArray> outs = new LinkedHashMap<>();
    Map<String, INDArray> grads = new LinkedHashMap<>();
    long start = System.nanoTime();
    try {
      return runTimed(feeds, outs, grads);
    } finally {
      context.recordRun(label, System.nanoTime() - start);
    }
  }

  private Result runTimed(Map<String, INDArray> feeds, Map<String, INDArray> outs, Map<String, INDArray> grads) {
    if (compiled != null) {
      Map<String, INDArray> r = compiled.run(feeds);
      for (String o : outputs) {
        outs.put(o, r.get(o));
      }
      for (String w : wrt) {
        String gn = gradNames.get(w);
        grads.put(w, gn == null ? zerosFor(w, feeds) : r.get(gn));
      }
      return new Result(outs, grads);
    }
    return SameDiffSessions.run(forward, feeds, outputs, wrt, gradNames, this::zerosFor);
  }

  private INDArray zerosFor(String w, Map<String, INDArray> feeds) {
    INDArray f = feeds.get(w);
    if (f != null) {
      return Nd4j.zerosLike(f);
    }
    SDVariable v = forward.getVariable(w);
    INDArray a = v.getArr();
    checkState(a != null, "%s: no array for %s", label, w);
    return Nd4j.zerosLike(a);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (compiled != null) {
        compiled.close();
      }
    }
  }

  /** Declares the runner's inputs, outputs and gradients; each name once. */
  public static final class Builder {
    private final SameDiff graph;
    private final Map<String, Boolean> inputs = new HashMap<>();
    private final List<String> outputs = new ArrayList<>();
    private final List<String> wrt = new ArrayList<>();
    private Segments segments;
    private ExecutionContext context;
    private String label = "graph";

    private Builder(SameDiff graph) {
      checkArgument(graph != null, "graph must not be null");
      this.graph = graph;
    }

    /** A placeholder (or a variable to override) fed on every call; {@code batched}: dimension 0 is the batch. */
    public Builder input(String name, boolean batched) {
      checkArgument(graph.hasVariable(name), "%s: graph has no variable \"%s\"", label, name);
      checkState(!inputs.containsKey(name), "%s: input \"%s\" declared twice", label, name);
      inputs.put(name, batched);
      return this;
    }

    /** A variable returned by every call (batched outputs are concatenated over shards). */
    public Builder output(String name) {
      checkArgument(graph.hasVariable(name), "%s: graph has no variable \"%s\"", label, name);
      checkState(!outputs.contains(name), "%s: output \"%s\" declared twice", label, name);
      outputs.add(name);
      return this;
    }

    /** The gradient of the graph's loss with respect to this variable or input is returned too. */
    public Builder gradient(String name) {
      checkArgument(graph.hasVariable(name), "%s: graph has no variable \"%s\"", label, name);
      checkState(!wrt.contains(name), "%s: gradient of \"%s\" declared twice", label, name);
      wrt.add(name);
      return this;
    }

    /** Checkpointing segments recorded while the graph was built (for gradients; may be null). */
    public Builder segments(Segments s) {
      this.segments = s;
      return this;
    }

    /** The context to run in (required: there is no silent default). */
    public Builder context(ExecutionContext c) {
      checkState(context == null, "context set twice");
      this.context = c;
      return this;
    }

    /** A name for errors and logs. */
    public Builder label(String l) {
      this.label = l;
      return this;
    }

    public GraphRunner build() {
      checkState(!outputs.isEmpty() || !wrt.isEmpty(), "%s: nothing to compute (no outputs, no gradients)", label);
      return new GraphRunner(this);
    }
  }
}
