package org.draft4j.engine.memory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.bytedeco.javacpp.LongPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.nd4j.nativeblas.OpaqueDataBuffer;

/**
 * Direct access to the loaded ND4J backend's native entry points, for kernels that call them
 * without the Java executioner's per-call bookkeeping. Only the CPU backend is driven this way;
 * elsewhere {@link #cpu()} is false and kernels go through the executioner.
 */
public final class NativeAccess {
  private static final NativeOps OPS;
  private static final boolean CPU;
  private static final MethodHandle OPAQUE;

  static {
    boolean cpu = Nd4j.getBackend().getClass().getName().contains("cpu"); // initializes the backend first
    OPS = NativeOpsHolder.getInstance().getDeviceNativeOps();
    MethodHandle h = null;
    if (cpu) {
      try {
        Class<?> c = Class.forName("org.nd4j.linalg.cpu.nativecpu.buffer.BaseCpuDataBuffer");
        h = MethodHandles.publicLookup().findVirtual(c, "getOpaqueDataBuffer", MethodType.methodType(OpaqueDataBuffer.class));
      } catch (ReflectiveOperationException e) {
        cpu = false;
      }
    }
    CPU = cpu;
    OPAQUE = h;
  }

  private NativeAccess() {}

  public static NativeOps ops() {
    return OPS;
  }

  /** Whether the CPU backend is loaded (direct legacy calls and Java kernels are used only then). */
  public static boolean cpu() {
    return CPU;
  }

  /** The native buffer handle of an array (its view offset included). */
  public static OpaqueDataBuffer opaque(INDArray a) {
    try {
      return (OpaqueDataBuffer) OPAQUE.invoke(a.data());
    } catch (Throwable t) {
      throw new IllegalStateException("cannot read the native buffer of an array: " + t, t);
    }
  }

  /** The native shape descriptor of an array. */
  public static LongPointer shapeInfo(INDArray a) {
    return (LongPointer) a.shapeInfoDataBuffer().addressPointer();
  }

  /**
   * The OpenMP thread count of native ops called from this thread (oneDNN convolutions and matrix
   * multiplies, OpenMP-parallel libnd4j loops). An OpenMP setting of the calling thread only:
   * other threads keep theirs.
   */
  public static int nativeThreads() {
    return OPS.ompGetMaxThreads();
  }

  /** Sets {@link #nativeThreads()} for the calling thread. */
  public static void setNativeThreads(int n) {
    OPS.setOmpNumThreads(n);
  }

  /** Throws if the last native call failed. */
  static void check(String what) {
    if (OPS.lastErrorCode() != 0) {
      throw new IllegalStateException(what + " failed in native code: " + OPS.lastErrorMessage());
    }
  }
}
