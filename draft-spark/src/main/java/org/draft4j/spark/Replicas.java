package org.draft4j.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.draft4j.train.DraftTrainer;

/**
 * The trainer replicas of this JVM (an executor), by data-parallel run: built on first use, kept
 * for the JVM's life, lent to one task at a time (an executor running two tasks at once builds a
 * second replica rather than share one).
 */
final class Replicas {
  private static final Map<String, ConcurrentLinkedQueue<DraftTrainer>> IDLE = new ConcurrentHashMap<>();

  private Replicas() {}

  /** An idle replica of run {@code id}, or a new one from {@code make}. */
  static DraftTrainer borrow(String id, Supplier<DraftTrainer> make) {
    DraftTrainer t = IDLE.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>()).poll();
    return t != null ? t : make.get();
  }

  /** Gives a replica back for the next task of run {@code id}. */
  static void giveBack(String id, DraftTrainer t) {
    IDLE.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>()).add(t);
  }

  /** Closes and forgets the replicas of run {@code id} in this JVM. */
  static void release(String id) {
    ConcurrentLinkedQueue<DraftTrainer> q = IDLE.remove(id);
    if (q != null) {
      q.forEach(DraftTrainer::close);
    }
  }
}
