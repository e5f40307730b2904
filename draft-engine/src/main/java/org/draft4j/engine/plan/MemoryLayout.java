package org.draft4j.engine.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Static memory planning: every arena tensor gets a fixed offset so that tensors alive at the same
 * time never overlap, and memory is reused as soon as a tensor's last reader has run. Greedy by
 * size (largest first, each at the lowest offset that fits beside the already placed tensors whose
 * lifetimes intersect), as TensorFlow Lite's arena planner; the result is close to the peak of live
 * bytes.
 */
public final class MemoryLayout {
  /** 64-byte alignment, in elements of the smallest arena type. */
  private static final long ALIGN_BYTES = 64;

  private MemoryLayout() {}

  /** Arena elements needed per type; assigns {@link TensorInfo#arenaOffset} to every arena root. */
  public static Map<DataType, Long> assign(Map<String, TensorInfo> tensors) {
    Map<String, Integer> lastOfRoot = new HashMap<>();
    for (TensorInfo t : tensors.values()) {
      if (t.kind == TensorInfo.Kind.VIEW && t.root != null) {
        lastOfRoot.merge(t.root, t.last, Math::max);
      }
    }
    Map<DataType, List<Slot>> byType = new EnumMap<>(DataType.class);
    for (TensorInfo t : tensors.values()) {
      if (inArena(t)) {
        int last = Math.max(t.last, lastOfRoot.getOrDefault(t.name, -1));
        long align = Math.max(1, ALIGN_BYTES / t.type.width());
        long size = (t.length() + align - 1) / align * align;
        byType.computeIfAbsent(t.type, k -> new ArrayList<>()).add(new Slot(t, size, t.def, Math.max(last, t.def)));
      }
    }
    Map<DataType, Long> totals = new EnumMap<>(DataType.class);
    for (Map.Entry<DataType, List<Slot>> e : byType.entrySet()) {
      totals.put(e.getKey(), place(e.getValue()));
    }
    return totals;
  }

  /** Whether a tensor has its own place in the arena. */
  static boolean inArena(TensorInfo t) {
    return (t.kind == TensorInfo.Kind.ARENA || t.kind == TensorInfo.Kind.INPUT) && Tracer.arenaType(t.type);
  }

  private static final class Slot {
    final TensorInfo t;
    final long size;
    final int from;
    final int to;
    long offset;

    Slot(TensorInfo t, long size, int from, int to) {
      this.t = t;
      this.size = size;
      this.from = from;
      this.to = to;
    }
  }

  private static long place(List<Slot> slots) {
    slots.sort(Comparator.comparingLong((Slot s) -> -s.size).thenComparingInt(s -> s.from)
        .thenComparing(s -> s.t.name));
    List<Slot> placed = new ArrayList<>();
    long total = 0;
    List<Slot> overlapping = new ArrayList<>();
    for (Slot s : slots) {
      overlapping.clear();
      for (Slot p : placed) {
        if (p.from <= s.to && s.from <= p.to) {
          overlapping.add(p);
        }
      }
      overlapping.sort(Comparator.comparingLong(p -> p.offset));
      long off = 0;
      for (Slot p : overlapping) {
        if (off + s.size <= p.offset) {
          break;
        }
        off = Math.max(off, p.offset + p.size);
      }
      s.offset = off;
      s.t.arenaOffset = off;
      total = Math.max(total, off + s.size);
      placed.add(s);
    }
    return total;
  }

  /** What is alive at the step where the most arena bytes are, largest first (for diagnostics). */
  public static String peakReport(Map<String, TensorInfo> tensors, List<OpNode> nodes, int top) {
    Map<String, Integer> lastOfRoot = new HashMap<>();
    for (TensorInfo t : tensors.values()) {
      if (t.kind == TensorInfo.Kind.VIEW && t.root != null) {
        lastOfRoot.merge(t.root, t.last, Math::max);
      }
    }
    int steps = nodes.size() + 2;
    long[] live = new long[steps + 1];
    for (TensorInfo t : tensors.values()) {
      if (inArena(t)) {
        int to = Math.max(t.last, lastOfRoot.getOrDefault(t.name, -1));
        for (int i = Math.max(0, t.def + 1); i <= Math.min(steps, to + 1); i++) {
          live[i] += t.length() * t.type.width();
        }
      }
    }
    int at = 0;
    for (int i = 0; i < live.length; i++) {
      if (live[i] > live[at]) {
        at = i;
      }
    }
    final int step = at - 1;
    List<TensorInfo> alive = new ArrayList<>();
    for (TensorInfo t : tensors.values()) {
      int to = Math.max(t.last, lastOfRoot.getOrDefault(t.name, -1));
      if (inArena(t) && t.def <= step && to >= step) {
        alive.add(t);
      }
    }
    alive.sort(Comparator.comparingLong((TensorInfo t) -> -t.length()));
    StringBuilder sb = new StringBuilder(String.format("peak %.1f MB at step %d (%s), %d tensors alive:%n",
        live[at] / 1e6, step, step >= 0 && step < nodes.size() ? nodes.get(step).opName() : "-", alive.size()));
    for (int i = 0; i < Math.min(top, alive.size()); i++) {
      TensorInfo t = alive.get(i);
      sb.append(String.format("  %8.1f MB %s %s [%d, %d]%n", t.length() * t.type.width() / 1e6, t.name,
          java.util.Arrays.toString(t.shape), t.def, Math.max(t.last, lastOfRoot.getOrDefault(t.name, -1))));
    }
    return sb.toString();
  }

  /** The most elements of type {@code type} alive at once (a lower bound of any layout), for reports. */
  static long peakLive(Map<String, TensorInfo> tensors, DataType type, int steps) {
    long[] delta = new long[steps + 3];
    Map<String, Integer> lastOfRoot = new HashMap<>();
    for (TensorInfo t : tensors.values()) {
      if (t.kind == TensorInfo.Kind.VIEW && t.root != null) {
        lastOfRoot.merge(t.root, t.last, Math::max);
      }
    }
    for (TensorInfo t : tensors.values()) {
      if (inArena(t) && t.type == type) {
        int from = t.def + 1;
        int to = Math.max(t.last, lastOfRoot.getOrDefault(t.name, -1)) + 1;
        delta[from] += t.length();
        delta[Math.min(to + 1, delta.length - 1)] -= t.length();
      }
    }
    long cur = 0;
    long peak = 0;
    for (long d : delta) {
      cur += d;
      peak = Math.max(peak, cur);
    }
    return peak;
  }
}
