package org.draft4j.engine.kernel;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A graph op whose kernel is written in Java (fused ops such as GroupNorm + SiLU that ND4J would
 * otherwise run as a dozen native passes). The engine asks it for output shapes and for a bound
 * kernel over planned arrays; SameDiff sees an ordinary custom op and differentiates it through its
 * {@code doDiff}. Graphs containing such ops run only on the engine.
 */
public interface JavaOp {
  /** Output shapes for these inputs (arrays hold real data only during the first, tracing call). */
  long[][] outputShapes(INDArray[] inputs);

  /** Output data types for these inputs (by default all equal to the first input's type). */
  default DataType[] outputTypes(INDArray[] inputs, int count) {
    DataType[] t = new DataType[count];
    java.util.Arrays.fill(t, inputs[0].dataType());
    return t;
  }

  /**
   * A kernel reading {@code inputs} and writing {@code outputs} each time it runs. The arrays stay
   * the same for the kernel's life (only their contents change), so implementations may resolve
   * addresses and allocate scratch space here, once.
   */
  Runnable bind(INDArray[] inputs, INDArray[] outputs);
}
