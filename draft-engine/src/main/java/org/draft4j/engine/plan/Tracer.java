package org.draft4j.engine.plan;

import org.draft4j.engine.kernel.JavaOp;
import org.draft4j.engine.kernel.Kernels;
import org.draft4j.engine.kernel.Views;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;

/**
 * Runs a schedule once, op by op, on real inputs: the first call of a plan. It learns every
 * tensor's shape and type (ND4J computes shapes from arrays), evaluates shape-only ops once for
 * good, turns reshapes, permutes and slices into views where the values agree, and frees each
 * intermediate after its last reader, so the trace itself needs no more memory than the plan will.
 */
public final class Tracer {
  /** How a node is carried into the plan. */
  enum Mode { KERNEL, STATIC, VIEW }

  /** The result of a trace: the final schedule (rewrites applied), tensor facts, the outputs. */
  public record Trace(List<OpNode> nodes, Map<String, TensorInfo> tensors, List<Mode> modes, Map<String, INDArray> outputs,
      Map<String, INDArray> snapshots) {}

  private static final Set<String> SHAPE_ONLY = Set.of("shape_of", "shapes_of", "size", "rank", "size_at", "ones_as",
      "zeros_as", "zeroslike", "oneslike");

  private final SameDiff graph;
  private final List<OpNode> nodes;
  private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
  private final Map<String, INDArray> live = new HashMap<>();
  private final Map<String, Integer> remaining = new HashMap<>();
  private final Map<String, Integer> rootRefs = new HashMap<>();
  private final Set<String> keep;
  private final List<OpNode> schedule = new ArrayList<>();
  private final List<Mode> modes = new ArrayList<>();
  private final boolean rewrite;
  private final boolean verify;
  /** With {@link Diagnostics#verifyKernels}: a copy of every kernel output, to find the first that replays differently. */
  final Map<String, INDArray> snapshots;
  private final boolean probeOverwrites;
  private long liveBytes;
  private long peakBytes;
  private long abortAbove = Long.MAX_VALUE;

  /** Thrown when a trace would hold more than its budget of intermediates at once. */
  public static final class OverBudget extends RuntimeException {
    final long bytes;

    OverBudget(long bytes) {
      super("over budget at " + bytes + " bytes", null, false, false);
      this.bytes = bytes;
    }
  }

  private Tracer(SameDiff graph, List<OpNode> nodes, Collection<String> outputs, boolean rewrite, boolean verify,
      Diagnostics diagnostics) {
    this.snapshots = diagnostics.verifyKernels() ? new HashMap<>() : null;
    this.probeOverwrites = diagnostics.probeOverwrite();
    this.graph = graph;
    this.nodes = nodes;
    this.keep = new HashSet<>(outputs);
    this.rewrite = rewrite;
    this.verify = verify;
  }

  static boolean arenaType(DataType t) {
    return t == DataType.FLOAT || t == DataType.DOUBLE || t == DataType.HALF || t == DataType.BFLOAT16;
  }

  /**
   * Traces {@code nodes} on {@code feeds} (applying {@link Rewrites} when {@code rewrite}, each
   * checked against the op it replaces when {@code verify}); returns the final schedule, tensor
   * facts and the requested outputs (copies).
   */
  public static Trace run(SameDiff graph, List<OpNode> nodes, Map<String, INDArray> feeds, Collection<String> outputs,
      boolean rewrite, boolean verify, Diagnostics diagnostics) {
    return run(graph, nodes, feeds, outputs, rewrite, verify, diagnostics, Long.MAX_VALUE);
  }

  /**
   * The same, giving up with {@link OverBudget} (after freeing what it holds) as soon as more than
   * {@code abortAbove} bytes of intermediates would be alive at once.
   */
  public static Trace run(SameDiff graph, List<OpNode> nodes, Map<String, INDArray> feeds, Collection<String> outputs,
      boolean rewrite, boolean verify, Diagnostics diagnostics, long abortAbove) {
    Tracer t = new Tracer(graph, nodes, outputs, rewrite, verify, diagnostics);
    t.abortAbove = abortAbove;
    try {
      return t.trace(feeds, outputs);
    } catch (OverBudget e) {
      t.freeAll();
      throw e;
    }
  }

  private void freeAll() {
    for (Map.Entry<String, INDArray> e : live.entrySet()) {
      TensorInfo t = tensors.get(e.getKey());
      if (t != null && (t.kind == TensorInfo.Kind.ARENA || t.kind == TensorInfo.Kind.OWNED) && e.getValue().closeable()) {
        e.getValue().close();
      }
    }
    live.clear();
    for (TensorInfo t : tensors.values()) {
      if (t.kind == TensorInfo.Kind.STATIC && t.value != null && t.value.closeable()) {
        t.value.close();
      }
    }
  }

  /** The most bytes of intermediates the trace held at once. */
  long peakBytes() {
    return peakBytes;
  }

  private Trace trace(Map<String, INDArray> feeds, Collection<String> outputs) {
    for (OpNode n : nodes) {
      for (String in : n.inputs()) {
        remaining.merge(in, 1, Integer::sum);
      }
    }
    for (Map.Entry<String, INDArray> e : feeds.entrySet()) {
      TensorInfo t = new TensorInfo(e.getKey());
      t.kind = TensorInfo.Kind.INPUT;
      INDArray f = e.getValue();
      if (!Views.denseC(f)) {
        f = f.dup('c'); // plans hold inputs in c order; views of them are recorded against that layout
      }
      t.type = f.dataType();
      t.shape = f.shape();
      t.def = -1;
      tensors.put(t.name, t);
      live.put(t.name, f);
      rootRefs.put(t.name, 1);
    }
    for (OpNode n : nodes) {
      INDArray[] in = new INDArray[n.inputs().size()];
      for (int k = 0; k < in.length; k++) {
        in[k] = resolve(n.inputs().get(k), n);
      }
      boolean[] liveOut = new boolean[n.outputs().size()];
      for (int k = 0; k < liveOut.length; k++) {
        String o = n.outputs().get(k);
        liveOut[k] = remaining.getOrDefault(o, 0) > 0 || keep.contains(o);
      }
      List<OpNode> repl = rewrite ? Rewrites.rewrite(n, in, liveOut) : null;
      if (repl == null) {
        process(n);
        continue;
      }
      // replacements of ops ND4J gets wrong have nothing to be compared with
      Map<String, INDArray> expected = verify && !Rewrites.replacesBrokenOp(n, in) ? reference(n, in, liveOut) : null;
      for (OpNode r : repl) {
        for (String x : r.inputs()) {
          remaining.merge(x, 1, Integer::sum);
        }
      }
      for (OpNode r : repl) {
        process(r);
      }
      for (String x : n.inputs()) {
        release(x);
      }
      if (expected != null) {
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
          INDArray got = resolveExisting(e.getKey());
          if (got == null || !close(e.getValue(), got)) {
            throw new IllegalStateException("rewrite of " + n.opName() + " (" + repl.get(repl.size() - 1).note()
                + ") disagrees with the op on " + e.getKey() + ": " + describe(n, in) + (got == null ? ""
                : "; op " + e.getValue().shapeInfoToString().replace("\n", " ") + " max |op| "
                + e.getValue().amaxNumber() + ", rewrite " + got.shapeInfoToString().replace("\n", " ") + " max |diff| "
                + e.getValue().castTo(DataType.DOUBLE).sub(got.castTo(DataType.DOUBLE)).amaxNumber()));
          }
          e.getValue().close();
        }
      }
    }
    Map<String, INDArray> results = new LinkedHashMap<>();
    for (String o : outputs) {
      INDArray v = live.containsKey(o) ? live.get(o) : resolveExisting(o);
      if (v == null) {
        throw new IllegalStateException("output " + o + " was not computed");
      }
      results.put(o, v.dup());
      TensorInfo t = tensors.get(o);
      t.last = Integer.MAX_VALUE;
    }
    int end = schedule.size();
    for (TensorInfo t : tensors.values()) {
      if (t.last == Integer.MAX_VALUE) {
        t.last = end;
      }
    }
    // free what the trace still holds (the plan allocates its own memory)
    for (Map.Entry<String, INDArray> e : live.entrySet()) {
      TensorInfo t = tensors.get(e.getKey());
      if ((t.kind == TensorInfo.Kind.ARENA || t.kind == TensorInfo.Kind.OWNED) && e.getValue().closeable()) {
        e.getValue().close();
      }
    }
    live.clear();
    return new Trace(schedule, tensors, modes, results, snapshots);
  }

  /** Diagnostic: whether an op's result depends on what its output arrays held before. */
  private void probeOverwrite(OpNode n, INDArray[] in, INDArray[] out) {
    for (INDArray o : out) {
      if (o.dataType().isFPType() && o.length() > 0) {
        o.assign(Double.NaN);
      }
    }
    exec(n, in, out);
    INDArray[] first = new INDArray[out.length];
    for (int k = 0; k < out.length; k++) {
      first[k] = out[k].dup();
      if (out[k].dataType().isFPType() && out[k].length() > 0) {
        out[k].assign(0);
      }
    }
    exec(n, in, out);
    for (int k = 0; k < out.length; k++) {
      if (out[k].dataType().isFPType() && !exactlyEqual(first[k], out[k])) {
        System.err.println("OVERWRITE PROBE: " + n.opName() + " output " + k + " depends on its prior contents "
            + describe(n, in));
      }
    }
  }

  /** The original op's live outputs, computed into fresh arrays (to check a rewrite). */
  private Map<String, INDArray> reference(OpNode n, INDArray[] in, boolean[] liveOut) {
    LongShapeDescriptor[] shapes = Kernels.outputShapes(n.op(), in, declared(n));
    INDArray[] out = new INDArray[shapes.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = Kernels.allocate(shapes[k]);
    }
    exec(n, in, out);
    Map<String, INDArray> m = new LinkedHashMap<>();
    for (int k = 0; k < out.length; k++) {
      if (liveOut[k]) {
        m.put(n.outputs().get(k), out[k]);
      } else {
        out[k].close();
      }
    }
    return m;
  }

  /** Agreement of a rewrite with the op it replaces: relative 1e-5 of the larger magnitude (rounding differs). */
  private static boolean close(INDArray a, INDArray b) {
    if (!java.util.Arrays.equals(a.shape(), b.shape())) {
      return false;
    }
    if (a.length() == 0) {
      return true;
    }
    double scale = Math.max(a.amaxNumber().doubleValue(), b.amaxNumber().doubleValue());
    INDArray d = a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE));
    double m = d.amaxNumber().doubleValue();
    return m <= 1e-5 * Math.max(scale, 1e-30) || m == 0;
  }

  private DataType[] declared(OpNode n) {
    DataType[] declared = new DataType[n.outputs().size()];
    for (int k = 0; k < declared.length; k++) {
      String o = CheckpointSchedule.original(n.outputs().get(k));
      SDVariable v = graph.hasVariable(o) ? graph.getVariable(o) : null;
      declared[k] = v == null ? null : v.dataType();
    }
    return declared;
  }

  /** Traces one node at the next schedule position. */
  private void process(OpNode n) {
    int i = schedule.size();
    schedule.add(n);
    INDArray[] in = new INDArray[n.inputs().size()];
    boolean allStatic = in.length > 0;
    for (int k = 0; k < in.length; k++) {
      String name = n.inputs().get(k);
      in[k] = resolve(name, n);
      TensorInfo ti = tensors.get(name);
      ti.last = Math.max(ti.last, i);
      allStatic &= ti.kind == TensorInfo.Kind.STATIC;
    }
    DifferentialFunction op = n.op();
    LongShapeDescriptor[] shapes;
    try {
      shapes = Kernels.outputShapes(op, in, declared(n));
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot compute output shapes of " + describe(n, in) + ": " + e.getMessage(), e);
    }
    Mode mode;
    INDArray[] out = new INDArray[shapes.length];
    if (SHAPE_ONLY.contains(op.opName()) || allStatic) {
      mode = Mode.STATIC;
      for (int k = 0; k < out.length; k++) {
        out[k] = Kernels.allocate(shapes[k]);
      }
      exec(n, in, out);
    } else if (Views.candidate(op) && shapes.length == 1 && in.length > 0 && viewOk(n, in, shapes[0], out)) {
      mode = Mode.VIEW;
    } else {
      mode = Mode.KERNEL;
      for (int k = 0; k < out.length; k++) {
        out[k] = Kernels.allocate(shapes[k]);
      }
      if (probeOverwrites && !(op instanceof JavaOp)) {
        probeOverwrite(n, in, out);
      }
      exec(n, in, out);
      if (snapshots != null) {
        for (int k = 0; k < out.length && k < n.outputs().size(); k++) {
          snapshots.put(n.outputs().get(k), out[k].dup());
        }
      }
    }
    modes.add(mode);
    for (int k = 0; k < out.length && k < n.outputs().size(); k++) {
      record(n.outputs().get(k), out[k], mode, n.inputs().isEmpty() ? null : n.inputs().get(0), i);
    }
    for (String name : n.inputs()) {
      release(name);
    }
    for (String o : n.outputs()) {
      if (remaining.getOrDefault(o, 0) == 0 && !keep.contains(o)) {
        remaining.put(o, 1);
        release(o);
      }
    }
  }

  private void exec(OpNode n, INDArray[] in, INDArray[] out) {
    try {
      Kernels.execute(n.op(), in, out);
    } catch (RuntimeException e) {
      throw new IllegalStateException("op failed: " + describe(n, in) + ": " + e.getMessage(), e);
    }
  }

  private static String describe(OpNode n, INDArray[] in) {
    StringBuilder sb = new StringBuilder(n.op().getOwnName() == null ? n.opName() : n.op().getOwnName());
    sb.append(" (").append(n.opName()).append(") with inputs ");
    for (int i = 0; i < in.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(n.inputs().get(i)).append(in[i] == null ? "=null"
          : in[i].dataType() + java.util.Arrays.toString(in[i].shape()));
    }
    return sb.toString();
  }

  private boolean viewOk(OpNode n, INDArray[] in, LongShapeDescriptor shape, INDArray[] out) {
    INDArray v;
    try {
      v = Views.view(n.op(), in, shape);
    } catch (RuntimeException e) {
      v = null;
    }
    if (v == null) {
      return false;
    }
    INDArray real = Kernels.allocate(shape);
    exec(n, in, new INDArray[] {real});
    boolean same = java.util.Arrays.equals(real.shape(), v.shape()) && exactlyEqual(real, v);
    real.close();
    if (same) {
      out[0] = v;
    }
    return same;
  }

  /** Bit-for-bit equality of two arrays of the same shape (the same NaN bits are equal). */
  public static boolean exactlyEqual(INDArray a, INDArray b) {
    if (a.dataType() != b.dataType() || !java.util.Arrays.equals(a.shape(), b.shape())) {
      return false;
    }
    if (a.length() == 0) {
      return true;
    }
    if (a.dataType() == DataType.FLOAT) {
      return java.util.Arrays.equals(a.dup('c').data().asFloat(), b.dup('c').data().asFloat());
    }
    if (a.dataType() == DataType.DOUBLE) {
      return java.util.Arrays.equals(a.dup('c').data().asDouble(), b.dup('c').data().asDouble());
    }
    return a.equals(b);
  }

  private void record(String name, INDArray arr, Mode mode, String firstInput, int at) {
    TensorInfo t = new TensorInfo(name);
    t.type = arr.dataType();
    t.shape = arr.shape();
    t.def = at;
    t.last = at;
    switch (mode) {
      case STATIC -> {
        t.kind = TensorInfo.Kind.STATIC;
        t.value = arr;
      }
      case VIEW -> {
        t.kind = TensorInfo.Kind.VIEW;
        TensorInfo base = tensors.get(firstInput);
        String root = base.kind == TensorInfo.Kind.VIEW ? base.root : base.persistent() ? null : base.name;
        if (root == null) {
          t.value = arr; // a view of persistent memory stays as it is
        } else {
          t.root = root;
          INDArray rootArr = live.get(root);
          t.viewOffset = arr.offset() - rootArr.offset();
          t.viewStrides = arr.stride();
          t.viewOrder = arr.ordering();
          rootRefs.merge(root, 1, Integer::sum);
        }
      }
      default -> {
        t.kind = arenaType(arr.dataType()) ? TensorInfo.Kind.ARENA : TensorInfo.Kind.OWNED;
        rootRefs.put(name, 1);
        liveBytes += arr.length() * arr.dataType().width();
        peakBytes = Math.max(peakBytes, liveBytes);
        if (liveBytes > abortAbove) {
          tensors.put(name, t);
          live.put(name, arr);
          throw new OverBudget(liveBytes);
        }
      }
    }
    tensors.put(name, t);
    if (t.kind != TensorInfo.Kind.STATIC && t.value == null) {
      live.put(name, arr);
    }
  }

  private INDArray resolveExisting(String name) {
    TensorInfo t = tensors.get(name);
    if (t != null && t.value != null) {
      return t.value;
    }
    return live.get(name);
  }

  private INDArray resolve(String name, OpNode n) {
    INDArray v = resolveExisting(name);
    if (v != null) {
      return v;
    }
    if (tensors.containsKey(name)) {
      throw new IllegalStateException("tensor " + name + " read by " + n.opName() + " after it was freed");
    }
    SDVariable var = graph.hasVariable(name) ? graph.getVariable(name) : null;
    INDArray a = var == null ? null : graph.getArrForVarName(name);
    if (a == null) {
      throw new IllegalArgumentException("no value for \"" + name + "\" read by " + n.opName()
          + (var != null && var.isPlaceHolder() ? ": it is a placeholder and must be fed" : ""));
    }
    TensorInfo t = new TensorInfo(name);
    t.kind = TensorInfo.Kind.BOUND;
    t.type = a.dataType();
    t.shape = a.shape();
    t.value = a;
    tensors.put(name, t);
    return a;
  }

  /** One read of {@code name} is done; frees its root's memory when nothing reads it any more. */
  private void release(String name) {
    int left = remaining.merge(name, -1, Integer::sum);
    if (left > 0 || keep.contains(name)) {
      return;
    }
    TensorInfo t = tensors.get(name);
    if (t == null) {
      return;
    }
    String root = t.kind == TensorInfo.Kind.VIEW ? t.root : t.name;
    if (root == null || !rootRefs.containsKey(root)) {
      if (t.kind == TensorInfo.Kind.VIEW) {
        live.remove(name);
      }
      return;
    }
    if (t.kind == TensorInfo.Kind.VIEW) {
      live.remove(name);
    }
    if (rootRefs.merge(root, -1, Integer::sum) == 0) {
      TensorInfo r = tensors.get(root);
      INDArray arr = live.remove(root);
      if (arr != null && r.kind != TensorInfo.Kind.INPUT && arr.closeable()) {
        liveBytes -= arr.length() * arr.dataType().width();
        arr.close();
      }
    }
  }
}
