package org.draft4j.engine;

import org.draft4j.engine.memory.Arena;
import org.draft4j.engine.memory.NativeAccess;
import org.draft4j.engine.memory.NativeHeap;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Owns what executing graphs needs besides the graphs: the scratch arenas (one per worker) and the
 * worker threads. Graphs compiled against one context run one at a time; use separate contexts for
 * concurrent independent work. {@link #close()} frees all arena memory and stops the workers.
 *
 * <p>{@link #shared()} is a process-wide context, made on first use with the
 * {@link #defaultOptions()} ({@link ExecutionOptions#defaults()} unless an application set others);
 * {@link #trim()} hands its memory back between jobs.
 */
public final class ExecutionContext implements AutoCloseable {
  private static ExecutionContext shared;
  private static ExecutionOptions defaultOptions = ExecutionOptions.defaults();

  private final ExecutionOptions options;
  private final Arena[] arenas;
  private final ExecutorService workers;
  private final ReentrantLock lock = new ReentrantLock();
  private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> runNanos =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Adds a run's wall time to its runner's label (see {@link #secondsByRunner}). */
  void recordRun(String label, long nanos) {
    runNanos.computeIfAbsent(label == null ? "unlabelled" : label, k -> new java.util.concurrent.atomic.LongAdder())
        .add(nanos);
  }

  /**
   * Wall seconds spent in graph runs of this context since the last {@link #resetRunTimes}, by runner
   * label ({@code unet forward}, {@code unet vjp}, {@code reward pickscore with gradient}, ...): where
   * a training step's time goes, phase by phase.
   */
  public java.util.Map<String, Double> secondsByRunner() {
    java.util.Map<String, Double> m = new java.util.TreeMap<>();
    runNanos.forEach((k, v) -> m.put(k, v.sum() / 1e9));
    return m;
  }

  /** Clears {@link #secondsByRunner}. */
  public void resetRunTimes() {
    runNanos.clear();
  }
  private volatile boolean closed;

  private ExecutionContext(ExecutionOptions options) {
    NativeHeap.configure();
    this.options = options;
    this.arenas = new Arena[options.threads()];
    for (int i = 0; i < arenas.length; i++) {
      arenas[i] = new Arena();
    }
    if (options.threads() > 1) {
      AtomicInteger n = new AtomicInteger();
      ThreadFactory tf = r -> {
        Thread t = new Thread(r, "draft4j-exec-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
      workers = Executors.newFixedThreadPool(options.threads() - 1, tf);
    } else {
      workers = null;
    }
  }

  /** A new context; close it when done. */
  public static ExecutionContext create(ExecutionOptions options) {
    return new ExecutionContext(options);
  }

  /** The process-wide context (made on first use with the {@link #defaultOptions()}). */
  public static synchronized ExecutionContext shared() {
    if (shared == null || shared.closed) {
      shared = new ExecutionContext(defaultOptions);
    }
    return shared;
  }

  /**
   * The process default options: those of contexts made where an application gives none —
   * {@link #shared()} when it is first made, and a trainer built without options.
   */
  public static synchronized ExecutionOptions defaultOptions() {
    return defaultOptions;
  }

  /**
   * Sets the process default options (an application's start-up, or a launcher from its flags).
   * Contexts made afterwards use them; an existing {@link #shared()} context keeps its own options
   * until it is closed.
   */
  public static synchronized void setDefaultOptions(ExecutionOptions options) {
    checkArgument(options != null, "options must not be null");
    defaultOptions = options;
  }

  public ExecutionOptions options() {
    return options;
  }

  /**
   * Whether graphs built for this context should use draft4j's fused ops (engine mode on the CPU
   * backend; SameDiff's executor and other backends cannot run them).
   */
  public boolean fusedOps() {
    return options.fusedOps() && options.mode() == ExecutionMode.ENGINE && NativeAccess.cpu();
  }

  /** Worker count (1 = everything on the calling thread). */
  public int threads() {
    return arenas.length;
  }

  Arena arena(int worker) {
    checkState(!closed, "execution context is closed");
    return arenas[worker];
  }

  /** Bytes of scratch memory held now. */
  public long arenaBytes() {
    long n = 0;
    for (Arena a : arenas) {
      n += a.bytes();
    }
    return n;
  }

  /** Frees the arenas; plans reallocate on their next run. */
  public void trim() {
    lock.lock();
    try {
      for (Arena a : arenas) {
        a.close();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Runs while holding the context (one graph at a time). */
  <T> T exclusive(java.util.function.Supplier<T> body) {
    lock.lock();
    try {
      checkState(!closed, "execution context is closed");
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code tasks[i]} with worker index i: task 0 on the calling thread, the others on the
   * workers, and waits for all; the first failure is rethrown after every task ended.
   */
  void parallel(List<Runnable> tasks) {
    if (tasks.size() == 1 || workers == null) {
      for (Runnable r : tasks) {
        r.run();
      }
      return;
    }
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 1; i < tasks.size(); i++) {
      fs.add(workers.submit(tasks.get(i)));
    }
    Throwable first = null;
    try {
      tasks.get(0).run();
    } catch (RuntimeException | Error e) {
      first = e;
    }
    for (Future<?> f : fs) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (first == null) {
          first = e.getCause();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (first == null) {
          first = e;
        }
      }
    }
    if (first instanceof RuntimeException re) {
      throw re;
    }
    if (first instanceof Error er) {
      throw er;
    }
    if (first != null) {
      throw new IllegalStateException(first);
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Arena a : arenas) {
        a.close();
      }
      if (workers != null) {
        workers.shutdownNow();
      }
    } finally {
      lock.unlock();
    }
  }
}
