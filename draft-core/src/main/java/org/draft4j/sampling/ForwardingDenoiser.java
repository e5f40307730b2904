package org.draft4j.sampling;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Map;
import org.draft4j.spi.Denoiser;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link Denoiser} around another one that changes what it predicts (and so its VJP) but not
 * what it trains: the inner model's trainable parameters and adapter switch are its own.
 */
public abstract class ForwardingDenoiser implements Denoiser {
  /** The wrapped model. */
  protected final Denoiser model;

  protected ForwardingDenoiser(Denoiser model) {
    checkArgument(model != null, "a decorator needs a model to wrap");
    this.model = model;
  }

  @Override
  public Map<String, INDArray> trainableParameters() {
    return model.trainableParameters();
  }

  @Override
  public boolean setAdaptersEnabled(boolean enabled) {
    return model.setAdaptersEnabled(enabled);
  }
}
