package org.draft4j.examples.pretrain;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.optim.OptimizerState;
import org.draft4j.train.CheckpointMismatchException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A pretraining stage's checkpoint, {@code OUT/checkpoint.safetensors}: named groups of tensors (the
 * weights under their prefix, say {@code unet/}, an EMA under {@code ema/}), the optimizer's slots
 * under {@code opt/}, the step and the stage's configuration record. Written atomically with a data
 * checksum ({@link Safetensors#write}); a resume verifies it and refuses another configuration
 * naming the field, by the trainer's own rule ({@link CheckpointMismatchException#requireSameConfiguration}).
 */
final class StageCheckpoint {
  private final Path file;
  private final Object config;
  private final Map<String, Map<String, INDArray>> groups;
  private final OptimizerState state;

  /**
   * @param file the checkpoint file
   * @param config the stage's configuration (a record Jackson writes)
   * @param groups prefix (with its slash) → the tensors saved and restored under it, in place
   * @param state the optimizer state (slots under {@code opt/}, and the step)
   */
  StageCheckpoint(Path file, Object config, Map<String, Map<String, INDArray>> groups, OptimizerState state) {
    this.file = file;
    this.config = config;
    this.groups = groups;
    this.state = state;
  }

  /**
   * Restores the tensors and the step in place when the file exists (printing where it resumed);
   * returns whether it did.
   *
   * @throws CheckpointMismatchException when the file holds another configuration
   */
  boolean resumeIfPresent() {
    if (!Files.exists(file)) {
      return false;
    }
    try (SafetensorsFile cf = SafetensorsFile.openVerified(file)) {
      CheckpointMismatchException.requireSameConfiguration(file, cf.metadata().get("config"), config);
      groups.forEach((prefix, m) -> m.forEach((k, a) -> a.assign(cf.get(prefix + k))));
      state.slots().forEach((k, a) -> a.assign(cf.get("opt/" + k)));
      state.setStep(Long.parseLong(cf.metadata().get("step")));
    }
    System.err.println("resumed from " + file + " at step " + state.step());
    return true;
  }

  /** Writes the tensors, the optimizer state, its step and the configuration. */
  void write() {
    Map<String, INDArray> t = new LinkedHashMap<>();
    groups.forEach((prefix, m) -> m.forEach((k, a) -> t.put(prefix + k, a)));
    state.slots().forEach((k, a) -> t.put("opt/" + k, a));
    Safetensors.write(file, t, Map.of("step", String.valueOf(state.step()), "config", Json.write(config)));
  }
}
