package org.draft4j.engine;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import org.draft4j.engine.plan.Diagnostics;

/**
 * How graphs are executed, as an immutable value. The library never reads system properties: an
 * application passes options explicitly ({@link ExecutionContext#create}); a command-line front end
 * may turn {@code -Ddraft4j.*} properties into options with {@link #fromProperties} (the launcher
 * does, in one place).
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
 * @param fusedOps whether graphs built for a context use draft4j's fused Java kernels (group norm,
 *     layer norm, activations, gated units) where the backend allows them. Off, every graph is built
 *     from SameDiff's primitive ops only: the path for backends whose arrays are not in host memory
 *     (CUDA), where fused kernels cannot run; results agree with the fused path to float rounding
 * @param rewrites whether the planner replaces backward ops by cheaper equivalent kernels
 * @param diagnostics debugging switches ({@link Diagnostics#NONE} by default)
 */
public record ExecutionOptions(ExecutionMode mode, int threads, Checkpointing checkpointing, long activationBudgetBytes,
    boolean verify, boolean fusedOps, boolean rewrites, Diagnostics diagnostics) {
  /** Property with the thread count ({@link #fromProperties}). */
  public static final String THREADS_PROPERTY = "draft4j.threads";
  /** Property with the checkpointing policy ({@code never}, {@code auto}, {@code always}). */
  public static final String CHECKPOINTING_PROPERTY = "draft4j.checkpointing";
  /** Property with the activation budget in MiB. */
  public static final String BUDGET_PROPERTY = "draft4j.activationBudgetMb";
  /** Property with the mode ({@code engine} or {@code samediff}). */
  public static final String MODE_PROPERTY = "draft4j.execution";
  /** Property that turns plan verification on ({@code true}). */
  public static final String VERIFY_PROPERTY = "draft4j.verify";
  /** Property that turns fused kernels off ({@code false}). */
  public static final String FUSED_OPS_PROPERTY = "draft4j.fusedOps";
  /** Property that turns backward-op rewrites off ({@code false}). */
  public static final String REWRITES_PROPERTY = "draft4j.rewrites";

  public ExecutionOptions {
    checkArgument(mode != null, "mode must not be null (one of %s)", Arrays.toString(ExecutionMode.values()));
    checkArgument(threads >= 1 && threads <= 256, "threads = %s must be in [1, 256]", threads);
    checkArgument(checkpointing != null, "checkpointing must not be null (one of %s)",
        Arrays.toString(Checkpointing.values()));
    checkArgument(activationBudgetBytes > 0, "activationBudgetBytes = %s must be > 0", activationBudgetBytes);
    checkArgument(diagnostics != null, "diagnostics must not be null (Diagnostics.NONE for none)");
  }

  /** Options with fused kernels and rewrites on and no diagnostics. */
  public ExecutionOptions(ExecutionMode mode, int threads, Checkpointing checkpointing, long activationBudgetBytes,
      boolean verify) {
    this(mode, threads, checkpointing, activationBudgetBytes, verify, true, true, Diagnostics.NONE);
  }

  /**
   * The defaults: the engine, 1 thread, {@link Checkpointing#AUTO} with a 1 GiB activation budget, no
   * verification, fused kernels and rewrites on, no diagnostics.
   */
  public static ExecutionOptions defaults() {
    return new ExecutionOptions(ExecutionMode.ENGINE, 1, Checkpointing.AUTO, 1024L << 20, false);
  }

  /**
   * {@link #defaults()} overridden by whichever of these properties {@code p} holds:
   * {@value #MODE_PROPERTY}, {@value #THREADS_PROPERTY}, {@value #CHECKPOINTING_PROPERTY},
   * {@value #BUDGET_PROPERTY}, {@value #VERIFY_PROPERTY}, {@value #FUSED_OPS_PROPERTY},
   * {@value #REWRITES_PROPERTY}, and the {@link Diagnostics} switches {@code draft4j.verifyKernels},
   * {@code draft4j.probeOverwrite}, {@code draft4j.traceKernels}, {@code draft4j.profileShapes},
   * {@code draft4j.memoryReport}. A malformed value is an error naming the property.
   */
  public static ExecutionOptions fromProperties(Properties p) {
    ExecutionOptions d = defaults();
    ExecutionMode mode = choice(p, MODE_PROPERTY, ExecutionMode.class, d.mode);
    int threads = intProperty(p, THREADS_PROPERTY, d.threads);
    Checkpointing c = choice(p, CHECKPOINTING_PROPERTY, Checkpointing.class, d.checkpointing);
    long budget = (long) intProperty(p, BUDGET_PROPERTY, (int) (d.activationBudgetBytes >> 20)) << 20;
    Diagnostics diag = new Diagnostics(flag(p, "draft4j.verifyKernels", false), flag(p, "draft4j.probeOverwrite", false),
        flag(p, "draft4j.traceKernels", false), flag(p, "draft4j.profileShapes", false),
        flag(p, "draft4j.memoryReport", false));
    return new ExecutionOptions(mode, threads, c, budget, flag(p, VERIFY_PROPERTY, d.verify),
        flag(p, FUSED_OPS_PROPERTY, d.fusedOps), flag(p, REWRITES_PROPERTY, d.rewrites), diag);
  }

  private static <E extends Enum<E>> E choice(Properties p, String name, Class<E> type, E def) {
    String v = p.getProperty(name);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-D" + name + " = \"" + v.trim() + "\" is not one of "
          + Arrays.stream(type.getEnumConstants()).map(x -> x.name().toLowerCase(Locale.ROOT)).toList(), e);
    }
  }

  private static boolean flag(Properties p, String name, boolean def) {
    String v = p.getProperty(name);
    if (v == null || v.isBlank()) {
      return def;
    }
    String t = v.trim().toLowerCase(Locale.ROOT);
    checkArgument(t.equals("true") || t.equals("false"), "-D%s = \"%s\" is not true or false", name, v.trim());
    return t.equals("true");
  }

  private static int intProperty(Properties p, String name, int def) {
    String v = p.getProperty(name);
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
    return new ExecutionOptions(m, threads, checkpointing, activationBudgetBytes, verify, fusedOps, rewrites,
        diagnostics);
  }

  /** The same options with another thread count. */
  public ExecutionOptions withThreads(int n) {
    return new ExecutionOptions(mode, n, checkpointing, activationBudgetBytes, verify, fusedOps, rewrites,
        diagnostics);
  }

  /** The same options with another checkpointing policy. */
  public ExecutionOptions withCheckpointing(Checkpointing c) {
    return new ExecutionOptions(mode, threads, c, activationBudgetBytes, verify, fusedOps, rewrites, diagnostics);
  }

  /** The same options with another activation budget. */
  public ExecutionOptions withActivationBudget(long bytes) {
    return new ExecutionOptions(mode, threads, checkpointing, bytes, verify, fusedOps, rewrites, diagnostics);
  }

  /** The same options with verification on or off. */
  public ExecutionOptions withVerify(boolean v) {
    return new ExecutionOptions(mode, threads, checkpointing, activationBudgetBytes, v, fusedOps, rewrites,
        diagnostics);
  }

  /** The same options with fused kernels on or off (off: SameDiff primitives only, as a CUDA backend needs). */
  public ExecutionOptions withFusedOps(boolean on) {
    return new ExecutionOptions(mode, threads, checkpointing, activationBudgetBytes, verify, on, rewrites,
        diagnostics);
  }

  /** The same options with backward-op rewrites on or off. */
  public ExecutionOptions withRewrites(boolean on) {
    return new ExecutionOptions(mode, threads, checkpointing, activationBudgetBytes, verify, fusedOps, on,
        diagnostics);
  }

  /** The same options with other diagnostics. */
  public ExecutionOptions withDiagnostics(Diagnostics d) {
    return new ExecutionOptions(mode, threads, checkpointing, activationBudgetBytes, verify, fusedOps, rewrites, d);
  }
}
