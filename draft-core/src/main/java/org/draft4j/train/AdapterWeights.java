package org.draft4j.train;

/**
 * Which adapter weights a trainer evaluates, samples with or exports ({@link
 * DraftTrainer#withAdapterWeights}, {@link DraftTrainer#evaluate(java.util.List, long[],
 * AdapterWeights)}, {@link DraftTrainer#saveAdapter(java.nio.file.Path,
 * org.draft4j.spi.AdapterFormat, AdapterWeights)}, {@link DraftTrainer.Builder#evaluationWeights}).
 */
public enum AdapterWeights {
  /** The weights the optimizer updates (what the adapter holds while training). */
  RAW,
  /** The exponential moving average of the weights ({@link DraftTrainer.Builder#ema}); needs an EMA. */
  EMA;

  /** The name written in a saved adapter's metadata ({@code draft4j.adapter_weights}): {@code raw} or {@code ema}. */
  public String metadataValue() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
