package org.draft4j.engine.memory;

import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes freed native memory go back to the operating system. ND4J allocates tensors with malloc;
 * glibc raises its mmap threshold each time a large block is freed, after which blocks up to that
 * size come from heaps it never returns: a traced SD 1.5 forward then leaves its 1.1 GB of
 * temporaries resident beside the plan's arena (measured: 7.3 GB peak instead of 4.9 GB). Fixing the
 * threshold at 128 KiB ({@code mallopt(M_MMAP_THRESHOLD, 131072)}, the same as
 * {@code MALLOC_MMAP_THRESHOLD_=131072}) keeps large blocks mmap-backed, so free unmaps them. Called
 * through JNA (a dependency of ND4J) where the C library has {@code mallopt}; elsewhere it does
 * nothing.
 */
public final class NativeHeap {
  private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);
  private static final int M_MMAP_THRESHOLD = -3;
  private static boolean done;

  private NativeHeap() {}

  /** Applies the setting once per process (idempotent; an explicit MALLOC_MMAP_THRESHOLD_ wins). */
  public static synchronized void configure() {
    if (done) {
      return;
    }
    done = true;
    if (System.getenv("MALLOC_MMAP_THRESHOLD_") != null || !System.getProperty("os.name", "").startsWith("Linux")) {
      return;
    }
    try {
      Class<?> fn = Class.forName("com.sun.jna.Function");
      Method get = fn.getMethod("getFunction", String.class, String.class);
      Object mallopt = get.invoke(null, "c", "mallopt");
      Method invokeInt = fn.getMethod("invokeInt", Object[].class);
      int ok = (Integer) invokeInt.invoke(mallopt, (Object) new Object[] {M_MMAP_THRESHOLD, 128 * 1024});
      LOG.debug("mallopt(M_MMAP_THRESHOLD, 131072) returned {}", ok);
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      LOG.debug("cannot set malloc's mmap threshold ({}); freed native memory may stay resident", e.toString());
    }
  }
}
