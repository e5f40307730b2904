package org.draft4j.spi;

import java.nio.file.Path;
import java.util.Map;
import org.draft4j.nn.LayerAdapter;

/**
 * A trainable adapter attached to a model's layers (LoRA and friends): the parameters optimizers
 * update, a runtime scale ({@code 0} = base model, {@code 1} = as trained, other values interpolate
 * or extrapolate), and persistence with provenance metadata.
 */
public interface Adapter extends LayerAdapter {
  /** Unique name (graph variables are prefixed with it). */
  String name();

  /** The current output scale s: the layer computes {@code W x + s·Δ(x)}. */
  double scale();

  /** Sets the output scale; takes effect on the next model call. */
  void setScale(double scale);

  /** The adapter's hyperparameters (rank, alpha, targets, ...) for provenance and resume checks, as JSON-ready values. */
  Map<String, Object> config();

  /**
   * Called by the trainer before a training step's rollout; adapters with training-only behaviour
   * (dropout) switch it on, deterministic in {@code stepSeed} so that the step's checkpointed
   * recomputation sees what the rollout saw.
   */
  default void beginTrainingStep(long stepSeed) {}

  /** Called after the step's update; the adapter behaves as at inference again. */
  default void endTrainingStep() {}

  /** Saves parameters and metadata ({@code provenance} entries are stored as given). */
  void save(Path path, AdapterFormat format, Map<String, String> provenance);
}
