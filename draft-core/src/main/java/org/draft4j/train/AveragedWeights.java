package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.Map;
import java.util.function.Supplier;
import org.draft4j.optim.Ema;
import org.draft4j.optim.EmaState;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainer's adapter weights, raw and (with an {@link Ema}) averaged: the EMA update after each
 * applied step, and the temporary swap that lets evaluation and export read the averaged ones.
 */
final class AveragedWeights {
  private final Map<String, INDArray> params;
  private final Ema ema;
  private final EmaState state;
  private boolean swapped;

  /** @param ema the moving average to keep, or null for none */
  AveragedWeights(Map<String, INDArray> params, Ema ema) {
    this.params = params;
    this.ema = ema;
    this.state = ema == null ? null : ema.init(params);
  }

  Ema ema() {
    return ema;
  }

  /** The EMA state (checkpointed), or null without an EMA. */
  EmaState state() {
    return state;
  }

  long updates() {
    return state == null ? 0 : state.step();
  }

  /** After an applied optimizer step: {@code s ← s − (1 − d)(s − θ)}. */
  void update() {
    if (ema != null) {
      ema.update(state, params);
    }
  }

  /** A copy of the chosen weights by parameter name. */
  Map<String, INDArray> copy(AdapterWeights which) {
    checkArgument(which != null, "adapterWeights: which must not be null (RAW or EMA)");
    require(which);
    return ParameterMaps.copy(which == AdapterWeights.EMA ? state.shadow() : params);
  }

  /** Runs {@code body} with the adapter holding the chosen weights; the raw ones come back bit for bit. */
  <T> T with(AdapterWeights which, Supplier<T> body) {
    checkArgument(which != null, "withAdapterWeights: which must not be null (RAW or EMA)");
    require(which);
    checkState(!swapped, "withAdapterWeights is not nestable: the adapter already holds the EMA weights");
    if (which == AdapterWeights.RAW) {
      return body.get();
    }
    Map<String, INDArray> raw = ParameterMaps.copy(params);
    swapped = true;
    try {
      params.forEach((k, v) -> v.assign(state.shadow().get(k)));
      return body.get();
    } finally {
      params.forEach((k, v) -> v.assign(raw.get(k)));
      swapped = false;
    }
  }

  /** {@code metadata} plus, with an EMA, which weights a file holds ({@code draft4j.adapter_weights}). */
  java.util.Map<String, String> labelled(java.util.Map<String, String> metadata, AdapterWeights which) {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>(metadata);
    if (ema != null) {
      m.put("draft4j.adapter_weights", which.metadataValue());
    }
    return m;
  }

  /** Refuses to train while the adapter holds the averaged weights. */
  void requireRaw() {
    checkState(!swapped, "fit inside withAdapterWeights(EMA, ...) would train the averaged weights; call it outside");
  }

  private void require(AdapterWeights which) {
    checkState(which != AdapterWeights.EMA || ema != null, "adapter weights = EMA, but this trainer keeps no EMA of"
        + " its weights; build it with .ema(Ema.decay(...)) or use AdapterWeights.RAW");
  }
}
