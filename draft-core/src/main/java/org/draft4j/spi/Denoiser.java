package org.draft4j.spi;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A noise-prediction network as samplers and objectives see it: {@code out = f_θ(x_t, t, c)} with
 * θ the trainable (adapter) parameters and the base weights frozen. Besides the forward pass it
 * gives vector-Jacobian products, which is all a checkpointed backward through a sampling chain
 * needs: the chain stores each step's input and recomputes activations here.
 */
public interface Denoiser {
  /**
   * Forward pass without gradient.
   *
   * @param sample {@code x_t}, {@code [B, C, H, W]}
   * @param timesteps {@code [B]}
   * @param context text embeddings {@code [B, L, D]}
   * @return the model output (ε, v or x₀ depending on the model), shaped like {@code sample}
   */
  INDArray predict(INDArray sample, INDArray timesteps, INDArray context);

  /**
   * Vector-Jacobian product at {@code (x_t, t, c)} for the cotangent {@code u} (shaped like the
   * output): {@code uᵀ ∂f/∂x_t} and {@code uᵀ ∂f/∂θ} for every trainable parameter.
   */
  Vjp vjp(INDArray sample, INDArray timesteps, INDArray context, INDArray cotangent);

  /** Trainable parameters by name; optimizers update these arrays in place. */
  Map<String, INDArray> trainableParameters();

  /**
   * Switches the trainable adapters off (the frozen base model, as DRaFT+'s reference) or on.
   * Returns the previous state.
   */
  boolean setAdaptersEnabled(boolean enabled);

  /** Result of {@link #vjp}: the gradient with respect to the input sample and to each parameter. */
  record Vjp(INDArray sampleGrad, Map<String, INDArray> paramGrads) {}
}
