package org.draft4j.engine;

import org.draft4j.engine.memory.Arena;
import org.draft4j.engine.memory.NativeAccess;
import org.draft4j.engine.plan.Plan;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A SameDiff graph made executable by the engine: compiled once per input shape into a plan
 * (fixed schedule, memory laid out in the context's arena, intermediates freed at their last use),
 * then replayed for every call with that shape. With more than one worker thread in the context a
 * batch is split into shards that run concurrently; batched outputs are concatenated and the other
 * outputs (parameter gradients) summed, in shard order.
 *
 * <pre>{@code
 * CompiledGraph g = CompiledGraph.builder(sd).context(ctx).input("x", true).output("y", Combine.CONCAT).build();
 * INDArray y = g.run(Map.of("x", x)).get("y");
 * }</pre>
 */
public final class CompiledGraph implements AutoCloseable {
  /** How the shards of a split batch combine into one output. */
  public enum Combine {
    /** Batched output: shards are concatenated along dimension 0. */
    CONCAT,
    /** Per-call output (a parameter gradient): shards are added. */
    SUM
  }

  /**
   * Weight bytes from which a graph's batch-1 calls give all workers' threads to native ops: below
   * it (the ShapesWorld models: 7 MB) thread hand-offs cost more than they save; above it (SD-size
   * UNet, VAE, CLIP towers: 0.3–4 GB) convolutions and GEMMs are large enough to split.
   */
  static final long INTRA_OP_MIN_WEIGHT_BYTES = 64L << 20;

  private final GraphSpec spec;
  private final ExecutionContext context;
  private final boolean intraOp;
  private final Map<String, Plan> plans = new java.util.concurrent.ConcurrentHashMap<>();
  /** The first plan made for each input-shape key: other workers' plans are its siblings. */
  private final Map<String, Plan> plansByShape = new java.util.concurrent.ConcurrentHashMap<>();
  private boolean profile;
  private boolean closed;

  private CompiledGraph(GraphSpec spec, ExecutionContext context) {
    this.spec = spec;
    this.context = context;
    this.intraOp = context.threads() > 1 && weightBytes(spec.graph()) >= INTRA_OP_MIN_WEIGHT_BYTES;
  }

  /** Bytes of the graph's variables and constants (its weights). */
  private static long weightBytes(SameDiff g) {
    long b = 0;
    for (org.nd4j.autodiff.samediff.SDVariable v : g.variables()) {
      if (v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE
          || v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.CONSTANT) {
        INDArray a = v.getArr();
        b += a == null ? 0 : a.length() * a.dataType().width();
      }
    }
    return b;
  }

  public static Builder builder(SameDiff graph) {
    return new Builder(graph);
  }

  /** The graph. */
  public SameDiff graph() {
    return spec.graph();
  }

  /** The context whose arenas and workers this graph uses. */
  public ExecutionContext context() {
    return context;
  }

  /**
   * Runs the graph: {@code feeds} must hold every declared input; returns every declared output as
   * a new array owned by the caller.
   */
  public Map<String, INDArray> run(Map<String, INDArray> feeds) {
    for (String in : spec.inputNames()) {
      checkArgument(feeds.containsKey(in) && feeds.get(in) != null, "%s: input \"%s\" missing (inputs: %s)", spec.label(),
          in, spec.inputNames());
    }
    for (String f : feeds.keySet()) {
      checkArgument(spec.inputs().containsKey(f), "%s: \"%s\" is not an input (inputs: %s)", spec.label(), f,
          spec.inputNames());
    }
    return context.exclusive(() -> {
      checkState(!closed, "%s: compiled graph is closed", spec.label());
      long batch = batchOf(feeds);
      int shards = (int) Math.min(context.threads(), Math.max(1, batch));
      if (shards <= 1) {
        return intraOp ? runWithNativeThreads(feeds) : runShard(0, feeds);
      }
      List<Map<String, INDArray>> parts = split(feeds, batch, shards);
      @SuppressWarnings("unchecked")
      Map<String, INDArray>[] results = new Map[shards];
      // make missing plans first, one at a time (tracing, and binding a sibling to an arena, are not concurrent)
      boolean planned = false;
      for (int s = 0; s < shards; s++) {
        if (!plans.containsKey(key(s, shapeKey(parts.get(s))))) {
          results[s] = runShard(s, parts.get(s));
        } else {
          planned = true;
        }
      }
      if (planned) {
        runRemaining(results, parts);
      }
      return combine(results);
    });
  }

  /** Runs the shards without a result yet concurrently, each on the worker of its index. */
  private void runRemaining(Map<String, INDArray>[] results, List<Map<String, INDArray>> parts) {
    List<Runnable> ordered = new ArrayList<>();
    for (int s = 0; s < results.length; s++) {
      final int shard = s;
      ordered.add(results[shard] != null ? () -> { } : () -> results[shard] = runShard(shard, parts.get(shard)));
    }
    context.parallel(ordered);
  }

  /**
   * A call that cannot be split over workers (batch 1) of a graph with at least
   * {@link #INTRA_OP_MIN_WEIGHT_BYTES} of weights runs on the calling thread with all of the
   * context's threads given to native ops (oneDNN convolutions, OpenMP-parallel GEMMs and loops),
   * planning included, then back to what the thread had. Bits depend on that count, so they are
   * reproducible for a fixed number of workers, as sharded calls are.
   */
  private Map<String, INDArray> runWithNativeThreads(Map<String, INDArray> feeds) {
    int before = NativeAccess.nativeThreads();
    NativeAccess.setNativeThreads(context.threads());
    try {
      return runShard(0, feeds);
    } finally {
      NativeAccess.setNativeThreads(before);
    }
  }

  private Map<String, INDArray> runShard(int worker, Map<String, INDArray> feeds) {
    String shape = shapeKey(feeds);
    String k = key(worker, shape);
    Plan p = plans.get(k);
    Arena arena = context.arena(worker);
    if (p == null && plansByShape.containsKey(shape)) {
      // a worker's first call with shapes another worker has planned: a sibling plan, no tracing
      p = plansByShape.get(shape).sibling();
      plans.put(k, p);
    }
    if (p == null) {
      Planner.Compiled c = Planner.compile(spec, feeds, context.options(), arena);
      plans.put(k, c.plan());
      plansByShape.put(shape, c.plan());
      return c.outputs();
    }
    return p.run(arena, feeds, profile);
  }

  private static String key(int worker, String shapeKey) {
    return worker + shapeKey;
  }

  private static String shapeKey(Map<String, INDArray> feeds) {
    StringBuilder sb = new StringBuilder();
    feeds.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sb.append('|').append(e.getKey())
        .append(e.getValue().dataType()).append(Arrays.toString(e.getValue().shape())));
    return sb.toString();
  }

  private long batchOf(Map<String, INDArray> feeds) {
    long b = -1;
    for (Map.Entry<String, Boolean> e : spec.inputs().entrySet()) {
      if (e.getValue()) {
        INDArray a = feeds.get(e.getKey());
        checkArgument(a.rank() >= 1, "%s: batched input \"%s\" has rank 0", spec.label(), e.getKey());
        if (b < 0) {
          b = a.size(0);
        } else {
          checkArgument(a.size(0) == b, "%s: batched input \"%s\" has %s rows, another input has %s", spec.label(),
              e.getKey(), a.size(0), b);
        }
      }
    }
    return b;
  }

  private List<Map<String, INDArray>> split(Map<String, INDArray> feeds, long batch, int shards) {
    List<Map<String, INDArray>> parts = new ArrayList<>();
    long start = 0;
    for (int s = 0; s < shards; s++) {
      long size = batch / shards + (s < batch % shards ? 1 : 0);
      Map<String, INDArray> m = new LinkedHashMap<>();
      for (Map.Entry<String, INDArray> e : feeds.entrySet()) {
        boolean batched = spec.inputs().get(e.getKey());
        m.put(e.getKey(), batched ? e.getValue().get(NDArrayIndex.interval(start, start + size)) : e.getValue());
      }
      parts.add(m);
      start += size;
    }
    return parts;
  }

  private Map<String, INDArray> combine(Map<String, INDArray>[] results) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, Combine> e : spec.outputs().entrySet()) {
      String name = e.getKey();
      if (e.getValue() == Combine.CONCAT) {
        INDArray[] parts = new INDArray[results.length];
        for (int s = 0; s < results.length; s++) {
          parts[s] = results[s].get(name);
        }
        out.put(name, Nd4j.concat(0, parts));
        for (INDArray p : parts) {
          if (!p.wasClosed()) {
            p.close(); // shard outputs are fresh copies nobody else holds
          }
        }
      } else {
        INDArray acc = results[0].get(name);
        for (int s = 1; s < results.length; s++) {
          INDArray part = results[s].get(name);
          acc.addi(part);
          if (!part.wasClosed()) {
            part.close();
          }
        }
        out.put(name, acc);
      }
    }
    return out;
  }

  /** Times every kernel from now on (for profiles; adds a little overhead per kernel). */
  public void setProfiling(boolean on) {
    profile = on;
  }

  /** Kernel time by op type (nanoseconds, kernel count) summed over plans since the last call. */
  public Map<String, long[]> takeProfile() {
    Map<String, long[]> m = new LinkedHashMap<>();
    context.exclusive(() -> {
      for (Plan p : plans.values()) {
        p.takeProfile().forEach((k, v) -> m.merge(k, v, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]}));
      }
      return null;
    });
    return m;
  }

  /**
   * Facts about the compiled plans, for benchmarks and diagnostics: how many, and for the largest
   * one its schedule's ops, the kernels a run executes, its arena bytes and whether it checkpoints.
   */
  public record Stats(int plans, int ops, int kernels, long arenaBytes, boolean checkpointed) {}

  /** Plans made by tracing the graph: one per input-shape key, however many workers run it. */
  public int tracedPlans() {
    return plansByShape.size();
  }

  /** Facts about the plans compiled so far (largest plan's counts). */
  public Stats stats() {
    return context.exclusive(() -> {
      int ops = 0;
      int kernels = 0;
      long arena = 0;
      boolean ck = false;
      for (Plan p : plans.values()) {
        ops = Math.max(ops, p.nodeCount());
        kernels = Math.max(kernels, p.kernelCount());
        arena = Math.max(arena, p.arenaBytes());
        ck |= p.checkpointed();
      }
      return new Stats(plans.size(), ops, kernels, arena, ck);
    });
  }

  /** Frees every plan (their static arrays); the context's arenas stay with the context. */
  @Override
  public void close() {
    context.exclusive(() -> {
      if (!closed) {
        closed = true;
        plans.values().forEach(Plan::close);
        plans.clear();
      }
      return null;
    });
  }

  /** Declares inputs and outputs; each name once. */
  public static final class Builder {
    private final SameDiff graph;
    private final Map<String, Boolean> inputs = new LinkedHashMap<>();
    private final Map<String, Combine> outputs = new LinkedHashMap<>();
    private SameDiff forward;
    private Segments segments;
    private ExecutionContext context;
    private String label = "graph";

    private Builder(SameDiff graph) {
      checkArgument(graph != null, "graph must not be null");
      this.graph = graph;
    }

    /**
     * A value fed on every call (a placeholder, or a variable to override); {@code batched}: its
     * first dimension is the batch (split across workers).
     */
    public Builder input(String name, boolean batched) {
      checkArgument(graph.hasVariable(name), "graph has no variable \"%s\"", name);
      checkState(!inputs.containsKey(name), "input \"%s\" declared twice", name);
      inputs.put(name, batched);
      return this;
    }

    /** A variable returned by every call. */
    public Builder output(String name, Combine combine) {
      checkArgument(graph.hasVariable(name), "graph has no variable \"%s\"", name);
      checkState(!outputs.containsKey(name), "output \"%s\" declared twice", name);
      outputs.put(name, combine);
      return this;
    }

    /**
     * For a gradient function: the forward graph it was made from, so the forward pass runs first
     * and can be checkpointed by {@code segments} (may be null).
     */
    public Builder forward(SameDiff forwardGraph, Segments segments) {
      checkState(forward == null, "forward graph set twice");
      this.forward = forwardGraph;
      this.segments = segments;
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

    public CompiledGraph build() {
      checkState(!outputs.isEmpty(), "%s: no outputs declared", label);
      checkState(context != null, "%s: no execution context; give .context(ExecutionContext.create(options)) or"
          + " .context(ExecutionContext.shared())", label);
      Map<String, Integer> fwd = forward == null ? null : Selection.opIndex(forward);
      return new CompiledGraph(new GraphSpec(graph, Map.copyOf(inputs), java.util.Collections.unmodifiableMap(
          new LinkedHashMap<>(outputs)), fwd, segments, label), context);
    }
  }
}
