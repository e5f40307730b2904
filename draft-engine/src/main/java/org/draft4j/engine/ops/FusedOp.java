package org.draft4j.engine.ops;

import org.draft4j.engine.memory.RawMemory;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.kernel.JavaOp;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.imports.converters.ImportClassMapping;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;

/**
 * Base of draft4j's fused graph ops: SameDiff custom ops whose configuration lives in integer and
 * floating arguments (so SameDiff's graph copies keep it) and whose kernels are Java
 * ({@link JavaOp}). Each op registers itself with SameDiff's op-name table, so the gradient
 * function's copy of a graph can recreate it. They run on draft4j's engine only.
 *
 * <p>Each op declares its graph name and output count with {@link Signature}. Inputs that are not
 * contiguous (a permuted view) are copied to a contiguous scratch array before the kernel runs.
 */
public abstract class FusedOp extends DynamicCustomOp implements JavaOp {
  /** Declared before the registration below, which constructs every op. */
  private static final ClassValue<Signature> SIGNATURES = new ClassValue<>() {
    @Override
    protected Signature computeValue(Class<?> type) {
      Signature s = type.getAnnotation(Signature.class);
      if (s == null) {
        throw new IllegalStateException(type.getName() + " has no @FusedOp.Signature");
      }
      return s;
    }
  };

  static {
    FusedOps.registerAll();
  }

  /** A fused op's SameDiff op name and number of outputs. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  @interface Signature {
    /** The op name SameDiff records in graphs and looks up when it copies one. */
    String name();

    /** How many outputs the op has. */
    int outputs();
  }

  /** For SameDiff's reflective copies; arguments are added afterwards. */
  protected FusedOp() {
    super(null);
  }

  protected FusedOp(SameDiff sd, SDVariable[] args, long[] iArgs, double[] tArgs) {
    super(null, sd, args);
    if (iArgs.length > 0) {
      addIArgument(iArgs);
    }
    if (tArgs.length > 0) {
      addTArgument(tArgs);
    }
  }

  /** The {@link Signature}'s name. */
  @Override
  public final String opName() {
    return SIGNATURES.get(getClass()).name();
  }

  /** The {@link Signature}'s output count. */
  @Override
  public final int getNumOutputs() {
    return SIGNATURES.get(getClass()).outputs();
  }

  /**
   * By default output i has the shape of input i: the rule of an elementwise op and of a
   * vector-Jacobian product (each gradient is shaped like what it differentiates).
   */
  @Override
  public long[][] outputShapes(INDArray[] in) {
    long[][] shapes = new long[getNumOutputs()][];
    for (int i = 0; i < shapes.length; i++) {
      shapes[i] = in[i].shape();
    }
    return shapes;
  }

  /** Not a native op. */
  @Override
  public long opHash() {
    return 0;
  }

  @Override
  public Map<String, Object> propertiesForFunction() {
    return Map.of();
  }

  @Override
  public void setPropertiesForFunction(Map<String, Object> properties) {
    // configuration is in the arguments
  }

  @Override
  public List<DataType> calculateOutputDataTypes(List<DataType> inputTypes) {
    List<DataType> out = new ArrayList<>();
    for (int i = 0; i < getNumOutputs(); i++) {
      out.add(inputTypes.get(0));
    }
    return out;
  }

  /** Integer argument i. */
  protected int intArg(int i) {
    return (int) (long) iArguments.get(i);
  }

  /** Floating argument i. */
  protected double doubleArg(int i) {
    return tArguments.get(i);
  }

  static void register(FusedOp prototype) {
    ImportClassMapping.getOpNameMapping().putIfAbsent(prototype.opName(), prototype);
  }

  /**
   * Contiguous c-order stand-ins for the given arrays: the array itself when it already is, else a
   * scratch copy (refreshed by {@link Inputs#refresh()} before each run).
   */
  static final class Inputs {
    final INDArray[] arrays;
    private final INDArray[] sources;

    Inputs(String op, INDArray... in) {
      arrays = new INDArray[in.length];
      sources = new INDArray[in.length];
      for (int i = 0; i < in.length; i++) {
        RawMemory.requireSupported(op, in[i]);
        if (RawMemory.contiguous(in[i])) {
          arrays[i] = in[i];
        } else {
          sources[i] = in[i];
          arrays[i] = in[i].dup('c');
        }
      }
    }

    void refresh() {
      for (int i = 0; i < sources.length; i++) {
        if (sources[i] != null) {
          arrays[i].assign(sources[i]);
        }
      }
    }
  }

  /** A Java kernel over contiguous c-order inputs and outputs. */
  @FunctionalInterface
  interface Kernel {
    void run(INDArray[] in, INDArray[] out);
  }

  /**
   * Binds {@code kernel} to this op's arrays: refuses an output that is not contiguous, and copies
   * each input that is not to scratch before every run.
   */
  Runnable bindKernel(INDArray[] in, INDArray[] out, Kernel kernel) {
    Inputs ins = new Inputs(opName(), in);
    for (INDArray o : out) {
      requireContiguous(opName(), o);
    }
    return () -> {
      ins.refresh();
      kernel.run(ins.arrays, out);
    };
  }

  /** What a backward op's {@code doDiff} throws: {@code of} names the function (e.g. "group norm"). */
  static UnsupportedOperationException noSecondDerivative(String of) {
    return new UnsupportedOperationException("second derivatives of " + of + " are not supported");
  }

  /** Refuses an output the kernel cannot write in place. */
  static void requireContiguous(String op, INDArray out) {
    RawMemory.requireSupported(op, out);
    if (!RawMemory.contiguous(out)) {
      throw new IllegalStateException(op + ": output must be contiguous c-order");
    }
  }
}
