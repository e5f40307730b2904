package org.draft4j.engine.plan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Activation checkpointing as a schedule rewrite: inside each forward segment only the tensors
 * that leave it ("kept": read by another segment's forward op, or returned) survive the forward
 * pass; the segment's other tensors that the backward pass reads ("local") are recomputed from the
 * kept ones by re-running the segment's ops right before the first backward op that needs them.
 * Recomputed tensors carry a {@code #r} suffix; backward ops read those. Liveness and the memory
 * layout then apply to the rewritten schedule as to any other, so the arena holds the kept tensors,
 * the gradients in flight and one segment's recomputed activations at a time.
 */
public final class CheckpointSchedule {
  static final String SUFFIX = "#r";

  private CheckpointSchedule() {}

  /** The schedule with recomputation, or {@code nodes} itself when there is nothing to checkpoint. */
  public static List<OpNode> apply(List<OpNode> nodes, Collection<String> outputs) {
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      OpNode n = nodes.get(i);
      if (n.forward()) {
        for (String o : n.outputs()) {
          producer.put(o, i);
        }
      }
    }
    Set<String> kept = new HashSet<>(outputs);
    for (OpNode n : nodes) {
      if (!n.forward()) {
        continue;
      }
      for (String in : n.inputs()) {
        Integer p = producer.get(in);
        if (p != null && nodes.get(p).segment() != n.segment()) {
          kept.add(in);
        }
      }
    }
    // local tensors read by the backward pass, by segment
    Map<Integer, Set<String>> needed = new LinkedHashMap<>();
    for (OpNode n : nodes) {
      if (n.forward()) {
        continue;
      }
      for (String in : n.inputs()) {
        Integer p = producer.get(in);
        if (p != null && !kept.contains(in) && nodes.get(p).segment() >= 0) {
          needed.computeIfAbsent(nodes.get(p).segment(), k -> new HashSet<>()).add(in);
        }
      }
    }
    if (needed.isEmpty()) {
      return nodes;
    }
    List<OpNode> out = new ArrayList<>();
    Map<String, String> renamed = new HashMap<>();
    Set<Integer> done = new HashSet<>();
    for (OpNode n : nodes) {
      if (n.forward()) {
        out.add(n);
        continue;
      }
      TreeSet<Integer> segs = new TreeSet<>();
      for (String in : n.inputs()) {
        Integer p = producer.get(in);
        if (p != null && !kept.contains(in) && nodes.get(p).segment() >= 0 && !renamed.containsKey(in)) {
          segs.add(nodes.get(p).segment());
        }
      }
      for (int s : segs.descendingSet()) {
        if (done.add(s)) {
          recompute(nodes, producer, kept, s, needed.get(s), renamed, out);
        }
      }
      List<String> ins = new ArrayList<>(n.inputs().size());
      for (String in : n.inputs()) {
        ins.add(renamed.getOrDefault(in, in));
      }
      out.add(new OpNode(n.op(), ins, n.outputs(), false, -1, n.note()));
    }
    return out;
  }

  /** Appends the ops of segment {@code s} that the backward pass needs, reading kept tensors. */
  private static void recompute(List<OpNode> nodes, Map<String, Integer> producer, Set<String> kept, int s,
      Set<String> targets, Map<String, String> renamed, List<OpNode> out) {
    Set<Integer> required = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(targets);
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String t = todo.pop();
      if (!seen.add(t)) {
        continue;
      }
      Integer p = producer.get(t);
      if (p == null || kept.contains(t) || nodes.get(p).segment() != s) {
        continue;
      }
      if (required.add(p)) {
        todo.addAll(nodes.get(p).inputs());
      }
    }
    for (int i : required) {
      OpNode n = nodes.get(i);
      List<String> ins = new ArrayList<>();
      for (String in : n.inputs()) {
        Integer p = producer.get(in);
        boolean local = p != null && !kept.contains(in) && nodes.get(p).segment() == s;
        ins.add(local ? in + SUFFIX : in);
      }
      List<String> outs = new ArrayList<>();
      for (String o : n.outputs()) {
        outs.add(o + SUFFIX);
        if (!kept.contains(o)) {
          renamed.put(o, o + SUFFIX);
        }
      }
      out.add(new OpNode(n.op(), ins, outs, false, -1, "recompute segment " + s));
    }
  }

  /** The graph name of a possibly recomputed tensor. */
  static String original(String name) {
    return name.endsWith(SUFFIX) ? name.substring(0, name.length() - SUFFIX.length()) : name;
  }
}
