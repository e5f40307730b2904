package org.draft4j.train;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What one micro-batch of a training step gives, in plain Java arrays so that it travels between
 * processes ({@link DataParallel}): the loss, its exact gradient by parameter name, the per-sample
 * rewards and reward terms, and extra metrics. Made by {@link DraftTrainer#microBatch}; the trainer
 * folds a step's results in micro-batch order, wherever they were computed, so a step's update does
 * not depend on where its micro-batches ran.
 *
 * @param index the micro-batch's position in its step, {@code [0, global/micro)}
 * @param loss the micro-batch loss (NaN when it failed with an arithmetic error)
 * @param gradients {@code dLoss/dθ} per parameter (absent: zero)
 * @param rewards per-sample rewards
 * @param terms per-sample values of each logged reward term
 * @param metrics extra scalars
 */
public record MicroBatchResult(int index, double loss, Map<String, Tensor> gradients, Tensor rewards,
    Map<String, Tensor> terms, Map<String, Double> metrics) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A float tensor as its shape and its values in C order. */
  public record Tensor(long[] shape, float[] values) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A copy of {@code a} (cast to float). */
    public static Tensor of(INDArray a) {
      return new Tensor(a.shape(), a.castTo(DataType.FLOAT).dup('c').data().asFloat());
    }

    /** A new array with these values. */
    public INDArray toArray() {
      return Nd4j.create(values, shape, 'c');
    }
  }

  /** Copies of the arrays, by name, in the map's order. */
  public static Map<String, Tensor> tensors(Map<String, INDArray> m) {
    Map<String, Tensor> t = new LinkedHashMap<>();
    m.forEach((k, v) -> t.put(k, Tensor.of(v)));
    return t;
  }
}
