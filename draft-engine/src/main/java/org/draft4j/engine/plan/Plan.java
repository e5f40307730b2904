package org.draft4j.engine.plan;

import org.draft4j.engine.kernel.Kernel;
import org.draft4j.engine.kernel.Kernels;
import org.draft4j.engine.memory.Arena;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A graph compiled for one set of input shapes: the schedule of kernels, every tensor's place in
 * the worker's arena, views made once. Running it copies the inputs in, replays the kernels and
 * copies the outputs out; nothing is allocated on the way except the returned arrays.
 */
public final class Plan implements AutoCloseable {
  private final List<OpNode> nodes;
  private final List<Tracer.Mode> modes;
  private final Map<String, TensorInfo> tensors;
  private final Map<DataType, Long> arenaElements;
  private final List<String> inputs;
  private final List<String> outputs;
  private final String description;
  private final Map<String, INDArray> owned = new HashMap<>();
  private long boundGeneration = -1;
  private Arena boundArena;
  private Kernel[] kernels;
  private INDArray[] inputSlots;
  private INDArray[] outputArrays;
  private long[] kernelNanos;
  private final List<String> kernelInfo = new ArrayList<>();
  /** With {@link Diagnostics#profileShapes}, profiles are keyed by op and input shapes. */
  private final boolean traceKernels;
  private final boolean profileShapes;
  private final Diagnostics diagnostics;
  /** Whether {@link #close} frees the static tensors (the traced plan does; its siblings share them). */
  private final boolean ownsStatics;
  private final List<String> shapeKeys = new ArrayList<>();
  private boolean closed;

  public Plan(List<OpNode> nodes, List<Tracer.Mode> modes, Map<String, TensorInfo> tensors, Map<DataType, Long> arenaElements,
      List<String> inputs, List<String> outputs, String description, Diagnostics diagnostics) {
    this(nodes, modes, tensors, arenaElements, inputs, outputs, description, diagnostics, true);
  }

  private Plan(List<OpNode> nodes, List<Tracer.Mode> modes, Map<String, TensorInfo> tensors,
      Map<DataType, Long> arenaElements, List<String> inputs, List<String> outputs, String description,
      Diagnostics diagnostics, boolean ownsStatics) {
    this.ownsStatics = ownsStatics;
    this.diagnostics = diagnostics;
    this.traceKernels = diagnostics.traceKernels();
    this.profileShapes = diagnostics.profileShapes();
    this.nodes = nodes;
    this.modes = modes;
    this.tensors = tensors;
    this.arenaElements = arenaElements;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.description = description;
  }

  /**
   * The same plan for another worker: schedule, tensor facts and arena layout are shared (they
   * depend only on the graph and the input shapes), arrays and kernels are bound anew to the
   * arena it runs on. Costs no tracing. The static tensors stay owned by this plan: close the
   * siblings no later than it.
   */
  public Plan sibling() {
    return new Plan(nodes, modes, tensors, arenaElements, inputs, outputs, description, diagnostics, false);
  }

  /** Kernels a run executes (views and static ops excluded). */
  public int kernelCount() {
    int n = 0;
    for (Tracer.Mode m : modes) {
      n += m == Tracer.Mode.KERNEL ? 1 : 0;
    }
    return n;
  }

  /** Ops of the schedule (before views and static evaluation are taken out). */
  public int nodeCount() {
    return nodes.size();
  }

  /** Arena bytes this plan needs. */
  public long arenaBytes() {
    long b = 0;
    for (Map.Entry<DataType, Long> e : arenaElements.entrySet()) {
      b += e.getValue() * e.getKey().width();
    }
    return b;
  }

  String description() {
    return description;
  }

  /** Whether the schedule recomputes segments (activation checkpointing). */
  public boolean checkpointed() {
    return description.endsWith("(checkpointed)");
  }

  private void bind(Arena arena) {
    Map<DataType, INDArray> buffers = new HashMap<>();
    for (Map.Entry<DataType, Long> e : arenaElements.entrySet()) {
      buffers.put(e.getKey(), arena.buffer(e.getKey(), e.getValue()));
    }
    Map<String, INDArray> arrays = new HashMap<>();
    for (TensorInfo t : tensors.values()) {
      if (MemoryLayout.inArena(t)) {
        if (t.length() == 0) {
          arrays.put(t.name, owned.computeIfAbsent(t.name, k -> Nd4j.create(t.type, t.shape)));
          continue;
        }
        INDArray buf = buffers.get(t.type);
        arrays.put(t.name, Nd4j.create(buf.data(), t.shape, Nd4j.getStrides(t.shape, 'c'), t.arenaOffset, 'c'));
      } else if (t.kind == TensorInfo.Kind.OWNED || t.kind == TensorInfo.Kind.INPUT) {
        arrays.put(t.name, owned.computeIfAbsent(t.name, k -> Nd4j.create(t.type, t.shape)));
      } else if (t.persistent()) {
        arrays.put(t.name, t.value);
      }
    }
    for (TensorInfo t : tensors.values()) {
      if (t.kind == TensorInfo.Kind.VIEW && t.root != null) {
        TensorInfo r = tensors.get(t.root);
        INDArray rootArr = arrays.get(r.name);
        INDArray v;
        if (MemoryLayout.inArena(r) && r.length() > 0) {
          v = Nd4j.create(buffers.get(r.type).data(), t.shape, t.viewStrides, r.arenaOffset + t.viewOffset, t.viewOrder);
        } else {
          v = Nd4j.create(rootArr.data(), t.shape, t.viewStrides, rootArr.offset() + t.viewOffset, t.viewOrder);
        }
        arrays.put(t.name, v);
      }
    }
    List<Kernel> ks = new ArrayList<>();
    shapeKeys.clear();
    kernelInfo.clear();
    for (int i = 0; i < nodes.size(); i++) {
      if (modes.get(i) != Tracer.Mode.KERNEL) {
        continue;
      }
      OpNode n = nodes.get(i);
      INDArray[] in = new INDArray[n.inputs().size()];
      for (int k = 0; k < in.length; k++) {
        in[k] = arrays.get(n.inputs().get(k));
      }
      INDArray[] out = new INDArray[n.outputs().size()];
      for (int k = 0; k < out.length; k++) {
        out[k] = arrays.get(n.outputs().get(k));
      }
      ks.add(Kernels.bind(n.op(), in, out));
      if (profileShapes) {
        StringBuilder d = new StringBuilder(ks.get(ks.size() - 1).opName());
        for (INDArray a : in) {
          d.append(' ').append(a == null ? "-" : java.util.Arrays.toString(a.shape()));
        }
        shapeKeys.add(d.toString());
      }
      if (traceKernels) {
        StringBuilder d = new StringBuilder(n.toString());
        for (INDArray a : in) {
          d.append("\n   in ").append(a == null ? "null" : a.shapeInfoToString().replace("\n", " ") + " off " + a.offset());
        }
        for (INDArray a : out) {
          d.append("\n   out ").append(a == null ? "null" : a.shapeInfoToString().replace("\n", " ") + " off " + a.offset());
        }
        kernelInfo.add(d.toString());
      }
    }
    kernels = ks.toArray(new Kernel[0]);
    bound.clear();
    bound.putAll(arrays);
    kernelNanos = new long[kernels.length];
    inputSlots = new INDArray[inputs.size()];
    for (int i = 0; i < inputs.size(); i++) {
      inputSlots[i] = arrays.get(inputs.get(i));
    }
    outputArrays = new INDArray[outputs.size()];
    for (int i = 0; i < outputs.size(); i++) {
      outputArrays[i] = arrays.get(outputs.get(i));
    }
    boundArena = arena;
    boundGeneration = arena.generation();
  }

  /** Runs on the given worker's arena; returns fresh copies of the outputs. */
  public Map<String, INDArray> run(Arena arena, Map<String, INDArray> feeds, boolean profile) {
    if (closed) {
      throw new IllegalStateException("plan is closed");
    }
    if (arena != boundArena || arena.generation() != boundGeneration) {
      bind(arena);
    }
    for (int i = 0; i < inputSlots.length; i++) {
      INDArray slot = inputSlots[i];
      if (slot == null) {
        continue; // fed but never read
      }
      INDArray f = feeds.get(inputs.get(i));
      slot.assign(f.dataType() == slot.dataType() ? f : f.castTo(slot.dataType()));
    }
    if (profile) {
      for (int i = 0; i < kernels.length; i++) {
        long t0 = System.nanoTime();
        kernels[i].run();
        kernelNanos[i] += System.nanoTime() - t0;
      }
    } else if (traceKernels) {
      for (int i = 0; i < kernels.length; i++) {
        System.err.println(description + " kernel " + i + ": " + kernelInfo.get(i));
        System.err.flush();
        kernels[i].run();
      }
    } else {
      for (Kernel k : kernels) {
        k.run();
      }
    }
    Map<String, INDArray> res = new LinkedHashMap<>();
    for (int i = 0; i < outputs.size(); i++) {
      res.put(outputs.get(i), outputArrays[i].dup());
    }
    return res;
  }

  /** Runs kernel by kernel, comparing each output with the trace's copy; names the first that differs. */
  public String firstMismatch(Arena arena, Map<String, INDArray> feeds, Map<String, INDArray> snapshots) {
    if (arena != boundArena || arena.generation() != boundGeneration) {
      bind(arena);
    }
    for (int i = 0; i < inputSlots.length; i++) {
      if (inputSlots[i] != null) {
        INDArray f = feeds.get(inputs.get(i));
        inputSlots[i].assign(f.dataType() == inputSlots[i].dataType() ? f : f.castTo(inputSlots[i].dataType()));
      }
    }
    int k = 0;
    for (int i = 0; i < nodes.size(); i++) {
      if (modes.get(i) != Tracer.Mode.KERNEL) {
        continue;
      }
      kernels[k++].run();
      OpNode n = nodes.get(i);
      for (String o : n.outputs()) {
        INDArray exp = snapshots.get(o);
        if (exp != null && !Tracer.exactlyEqual(exp, boundArray(o))) {
          StringBuilder sb = new StringBuilder("kernel " + (k - 1) + " at step " + i + " (" + n + ") output " + o);
          List<String> names = new ArrayList<>(n.inputs());
          names.addAll(n.outputs());
          for (String t : names) {
            TensorInfo ti = tensors.get(t);
            INDArray snap = snapshots.get(t);
            String same = snap == null ? "no snapshot" : Tracer.exactlyEqual(snap, boundArray(t)) ? "same as traced"
                : "DIFFERS from traced";
            sb.append("\n  ").append(ti).append(" offset ").append(ti.arenaOffset).append(" root ").append(ti.root)
                .append(" now ").append(same);
            if (ti.root != null) {
              TensorInfo r = tensors.get(ti.root);
              INDArray rs = snapshots.get(r.name);
              sb.append(" -> ").append(r).append(" offset ").append(r.arenaOffset).append(" len ").append(r.length())
                  .append(rs == null ? " (no snapshot)" : Tracer.exactlyEqual(rs, boundArray(r.name)) ? " (root same)"
                      : " (root DIFFERS)")
                  .append(" view strides ").append(java.util.Arrays.toString(ti.viewStrides)).append(" order ")
                  .append(ti.viewOrder).append(" off ").append(ti.viewOffset).append(" bound view ")
                  .append(boundArray(t).shapeInfoToString().replace('\n', ' ')).append(" offset ")
                  .append(boundArray(t).offset());
            }
            TensorInfo r = ti.root != null ? tensors.get(ti.root) : ti;
            if (MemoryLayout.inArena(r)) {
              for (TensorInfo u : tensors.values()) {
                if (u != r && MemoryLayout.inArena(u) && u.type == r.type && u.arenaOffset < r.arenaOffset + r.length()
                    && r.arenaOffset < u.arenaOffset + u.length()) {
                  sb.append("\n     shares memory with ").append(u).append(" offset ").append(u.arenaOffset);
                }
              }
            }
          }
          return sb.toString();
        }
      }
    }
    return null;
  }

  private final Map<String, INDArray> bound = new HashMap<>();

  private INDArray boundArray(String name) {
    return bound.get(name);
  }

  /** Accumulated kernel time by op type since the last call (when runs were profiled). */
  public Map<String, long[]> takeProfile() {
    Map<String, long[]> m = new LinkedHashMap<>();
    if (kernels == null) {
      return m;
    }
    for (int i = 0; i < kernels.length; i++) {
      long[] v = m.computeIfAbsent(profileShapes ? shapeKeys.get(i) : kernels[i].opName(), k -> new long[2]);
      v[0] += kernelNanos[i];
      v[1]++;
      kernelNanos[i] = 0;
    }
    return m;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (INDArray a : owned.values()) {
      if (a.closeable()) {
        a.close();
      }
    }
    owned.clear();
    for (TensorInfo t : ownsStatics ? tensors.values() : List.<TensorInfo>of()) {
      if (t.kind == TensorInfo.Kind.STATIC && t.value != null && t.value.closeable()) {
        t.value.close();
      }
    }
    kernels = null;
  }
}
