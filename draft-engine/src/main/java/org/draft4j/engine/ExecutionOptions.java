package org.draft4j.engine;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Locale;

/**
 * How graphs are executed, as an immutable value.
 *
 * @param mode which executor runs graphs ({@link ExecutionMode#ENGINE} unless comparing)
 * @param threads worker threads a call may use: a batch of {@code B ≥ 2} samples is split into
 *     {@code min(threads, B)} shards that run concurrently, each with single-threaded native math
 *     (set {@code OMP_NUM_THREADS=1} when {@code threads > 1}, or the two kinds of parallelism
 *     oversubscribe the cores). Results are reproducible bit for bit for a fixed thread count.
 * @param checkpointing activation checkpointing policy for gradient plans
 * @param activationBudgetBytes arena size above which {@link Checkpointing#AUTO} checkpoints
 * @param verify replay every new plan once on the inputs of its first call and require
 *     bit-identical outputs, and check every graph rewrite against the op it replaces (slow; for
 *     tests and debugging)
 */
public record ExecutionOptions(ExecutionMode mode, int threads, Checkpointing checkpointing, long activationBudgetBytes,
    boolean verify) {
  /** System property with the default thread count. */
  public static final String THREADS_PROPERTY = "draft4j.threads";
  /** System property with the default checkpointing policy ({@code never}, {@code auto}, {@code always}). */
  public static final String CHECKPOINTING_PROPERTY = "draft4j.checkpointing";
  /** System property with the default activation budget in MiB. */
  public static final String BUDGET_PROPERTY = "draft4j.activationBudgetMb";
  /** System property with the default mode ({@code engine} or {@code samediff}). */
  public static final String MODE_PROPERTY = "draft4j.execution";
  /** System property that turns plan verification on ({@code true}). */
  public static final String VERIFY_PROPERTY = "draft4j.verify";

  public ExecutionOptions {
    checkArgument(mode != null, "mode must not be null (one of %s)", java.util.Arrays.toString(ExecutionMode.values()));
    checkArgument(threads >= 1 && threads <= 256, "threads = %s must be in [1, 256]", threads);
    checkArgument(checkpointing != null, "checkpointing must not be null (one of %s)",
        java.util.Arrays.toString(Checkpointing.values()));
    checkArgument(activationBudgetBytes > 0, "activationBudgetBytes = %s must be > 0", activationBudgetBytes);
  }

  /**
   * The defaults: the engine, 1 thread, {@link Checkpointing#AUTO} with a 1 GiB activation budget, no
   * verification; each can be overridden by a system property ({@value #MODE_PROPERTY}, {@value #THREADS_PROPERTY},
   * {@value #CHECKPOINTING_PROPERTY}, {@value #BUDGET_PROPERTY}, {@value #VERIFY_PROPERTY}).
   */
  public static ExecutionOptions defaults() {
    int threads = intProperty(THREADS_PROPERTY, 1);
    String ck = System.getProperty(CHECKPOINTING_PROPERTY, "auto").trim().toUpperCase(Locale.ROOT);
    Checkpointing c;
    try {
      c = Checkpointing.valueOf(ck);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-D" + CHECKPOINTING_PROPERTY + " = \"" + ck.toLowerCase(Locale.ROOT)
          + "\" is not one of never, auto, always", e);
    }
    long budget = (long) intProperty(BUDGET_PROPERTY, 1024) << 20;
    String m = System.getProperty(MODE_PROPERTY, "engine").trim().toUpperCase(Locale.ROOT);
    ExecutionMode mode;
    try {
      mode = ExecutionMode.valueOf(m);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-D" + MODE_PROPERTY + " = \"" + m.toLowerCase(Locale.ROOT)
          + "\" is not one of engine, samediff", e);
    }
    return new ExecutionOptions(mode, threads, c, budget, Boolean.getBoolean(VERIFY_PROPERTY));
  }

  private static int intProperty(String name, int def) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + name + " = \"" + v + "\" is not an integer", e);
    }
  }

  /** The same options with another executor. */
  public ExecutionOptions withMode(ExecutionMode m) {
    return new ExecutionOptions(m, threads, checkpointing, activationBudgetBytes, verify);
  }

  /** The same options with another thread count. */
  public ExecutionOptions withThreads(int n) {
    return new ExecutionOptions(mode, n, checkpointing, activationBudgetBytes, verify);
  }

  /** The same options with another checkpointing policy. */
  public ExecutionOptions withCheckpointing(Checkpointing c) {
    return new ExecutionOptions(mode, threads, c, activationBudgetBytes, verify);
  }

  /** The same options with another activation budget. */
  public ExecutionOptions withActivationBudget(long bytes) {
    return new ExecutionOptions(mode, threads, checkpointing, bytes, verify);
  }

  /** The same options with verification on or off. */
  public ExecutionOptions withVerify(boolean v) {
    return new ExecutionOptions(mode, threads, checkpointing, activationBudgetBytes, v);
  }
}
