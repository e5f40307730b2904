package org.draft4j.engine.ops;

import org.draft4j.engine.memory.RawMemory;

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
 * <p>Inputs that are not contiguous (a permuted view) are copied to a contiguous scratch array
 * before the kernel runs.
 */
public abstract class FusedOp extends DynamicCustomOp implements JavaOp {
  static {
    FusedOps.registerAll();
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

  @Override
  public abstract String opName();

  @Override
  public abstract int getNumOutputs();

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

  /** Refuses an output the kernel cannot write in place. */
  static void requireContiguous(String op, INDArray out) {
    RawMemory.requireSupported(op, out);
    if (!RawMemory.contiguous(out)) {
      throw new IllegalStateException(op + ": output must be contiguous c-order");
    }
  }
}
