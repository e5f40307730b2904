package org.draft4j.nn;

import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Hook through which an adapter (LoRA and friends) adds a trainable delta to layers while a model
 * graph is built: {@code y = base(x) + delta(x)}. The base weights stay constants of the graph;
 * only {@link #trainableParameters()} are differentiated.
 */
public interface LayerAdapter {
  /** Whether this adapter adds a delta to the layer. */
  boolean appliesTo(Layer layer);

  /**
   * Builds the delta for one layer. {@code input} is {@code [N, in]} for a linear layer and
   * {@code [B, in, H, W]} for a convolution; the result must have the base output's shape.
   * Implementations create their variables with {@code sd.var(name, array)} under the names of
   * {@link #trainableParameters()}, and their runtime inputs with {@code sd.placeHolder} under the
   * names of {@link #feeds()}.
   */
  SDVariable delta(SameDiff sd, Layer layer, SDVariable input, GraphBuilder.ConvGeometry geometry);

  /** Trainable arrays by graph variable name; updated in place by optimizers. */
  Map<String, INDArray> trainableParameters();

  /**
   * Runtime placeholder values fed on every graph call (for example the adapter scale);
   * {@code enabled == false} asks for values that make the delta zero (the frozen base model).
   */
  Map<String, INDArray> feeds(boolean enabled);
}
