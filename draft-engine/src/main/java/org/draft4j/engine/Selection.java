package org.draft4j.engine;

import org.draft4j.engine.plan.OpNode;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;

/**
 * Picks the ops needed for the requested outputs (everything else is dead code) and orders them
 * topologically: forward ops first, in the order the model created them; then backward ops depth
 * first (the most recently readied op runs next), so the backward pass finishes one branch, such as
 * one attention slice, before it starts the next, instead of holding every branch's tensors at once.
 */
final class Selection {
  private Selection() {}

  /**
   * @param feeds names supplied per call (placeholders, and variables fed as inputs)
   * @param forwardOps names of forward ops with their creation index in the forward graph (null:
   *     every op is a forward op, as in a graph without gradient)
   * @param segments checkpointing segments of the forward graph, or null
   */
  static List<OpNode> select(SameDiff sd, Set<String> feeds, Collection<String> outputs, Map<String, Integer> forwardOps,
      Segments segments) {
    Map<String, SameDiffOp> ops = sd.getOps();
    Map<String, Variable> vars = sd.getVariables();
    Set<String> needed = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    for (String o : outputs) {
      checkArgument(vars.containsKey(o), "graph has no variable \"%s\" to output", o);
      todo.push(o);
    }
    Set<String> seenVars = new HashSet<>();
    while (!todo.isEmpty()) {
      String v = todo.pop();
      if (!seenVars.add(v) || feeds.contains(v)) {
        continue;
      }
      String producer = vars.get(v).getOutputOfOp();
      if (producer != null && needed.add(producer)) {
        List<String> in = ops.get(producer).getInputsToOp();
        if (in != null) {
          in.forEach(todo::push);
        }
      }
    }
    // creation index of every graph op, for deterministic tie-breaking
    Map<String, Integer> index = new HashMap<>();
    int k = 0;
    for (String name : ops.keySet()) {
      index.put(name, k++);
    }
    Map<String, Integer> pending = new HashMap<>();
    Map<String, List<String>> consumers = new HashMap<>();
    for (String name : needed) {
      int deps = 0;
      List<String> in = ops.get(name).getInputsToOp();
      Set<String> producers = new HashSet<>();
      if (in != null) {
        for (String v : in) {
          if (feeds.contains(v)) {
            continue;
          }
          String p = vars.get(v).getOutputOfOp();
          if (p != null && needed.contains(p) && producers.add(p)) {
            deps++;
            consumers.computeIfAbsent(p, x -> new ArrayList<>()).add(name);
          }
        }
      }
      pending.put(name, deps);
    }
    PriorityQueue<String> readyForward = new PriorityQueue<>((a, b) -> Integer.compare(index.get(a), index.get(b)));
    Deque<String> readyBackward = new ArrayDeque<>();
    java.util.function.Consumer<List<String>> makeReady = names -> {
      List<String> sorted = new ArrayList<>(names);
      sorted.sort((a, b) -> Integer.compare(index.get(b), index.get(a)));
      for (String x : sorted) {
        if (forwardOps == null || forwardOps.containsKey(x)) {
          readyForward.add(x);
        } else {
          readyBackward.push(x);
        }
      }
    };
    List<String> initial = new ArrayList<>();
    pending.forEach((n, d) -> {
      if (d == 0) {
        initial.add(n);
      }
    });
    makeReady.accept(initial);
    List<OpNode> order = new ArrayList<>();
    while (!readyForward.isEmpty() || !readyBackward.isEmpty()) {
      String n = !readyForward.isEmpty() ? readyForward.poll() : readyBackward.pop();
      SameDiffOp op = ops.get(n);
      boolean fwd = forwardOps == null || forwardOps.containsKey(n);
      int seg = -1;
      if (fwd && segments != null && segments.size() > 0) {
        Integer fi = forwardOps == null ? index.get(n) : forwardOps.get(n);
        seg = segments.segmentOf(fi);
      }
      List<String> in = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
      List<String> out = op.getOutputsOfOp() == null ? List.of() : op.getOutputsOfOp();
      order.add(new OpNode(op.getOp(), in, out, fwd, seg, ""));
      List<String> now = new ArrayList<>();
      for (String c : consumers.getOrDefault(n, List.of())) {
        if (pending.merge(c, -1, Integer::sum) == 0) {
          now.add(c);
        }
      }
      makeReady.accept(now);
    }
    if (order.size() != needed.size()) {
      throw new IllegalStateException("graph has a cycle: ordered " + order.size() + " of " + needed.size() + " ops");
    }
    return order;
  }

  /** Creation index of every op of a forward graph, by name. */
  static Map<String, Integer> opIndex(SameDiff forward) {
    Map<String, Integer> m = new LinkedHashMap<>();
    int i = 0;
    for (String n : forward.getOps().keySet()) {
      m.put(n, i++);
    }
    return m;
  }
}
