package org.draft4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.optim.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trainer checkpoints: one safetensors file with the trainable parameters ({@code param/...}), the
 * optimizer state ({@code opt/...}), the step, and the configuration as JSON. Every random draw of
 * the trainer is a function of (seed, step, sample index), so the step is the whole RNG and data
 * position state. Files appear atomically (temporary file + rename): a crash mid-write leaves the
 * previous checkpoint intact, and a corrupted file fails its checksum on load.
 */
final class Checkpoints {
  static final String FILE = "checkpoint.safetensors";

  private Checkpoints() {}

  static Path file(Path dir) {
    return dir.resolve(FILE);
  }

  static void write(Path dir, long step, Map<String, INDArray> params, OptimizerState state,
      Provenance provenance) {
    Map<String, INDArray> t = new LinkedHashMap<>();
    params.forEach((k, v) -> t.put("param/" + k, v));
    state.slots().forEach((k, v) -> t.put("opt/" + k, v));
    Map<String, String> meta = new LinkedHashMap<>(provenance.toMetadata());
    meta.put("step", String.valueOf(step));
    meta.put("optimizer_step", String.valueOf(state.step()));
    meta.put("config", Json.write(provenance.trainingConfig()));
    Safetensors.write(file(dir), t, meta);
  }

  /**
   * Restores parameters and optimizer state in place and returns the step; refuses a checkpoint
   * written with another configuration, naming the first differing field.
   */
  static long restore(Path dir, Map<String, INDArray> params, OptimizerState state, TrainingConfig config) {
    Path f = file(dir);
    try (SafetensorsFile sf = SafetensorsFile.openVerified(f)) {
      CheckpointMismatchException.requireSameConfiguration(f, sf.metadata().get("config"), config);
      for (Map.Entry<String, INDArray> e : params.entrySet()) {
        e.getValue().assign(sf.get("param/" + e.getKey()));
      }
      for (Map.Entry<String, INDArray> e : state.slots().entrySet()) {
        e.getValue().assign(sf.get("opt/" + e.getKey()));
      }
      state.setStep(Long.parseLong(sf.metadata().get("optimizer_step")));
      return Long.parseLong(sf.metadata().get("step"));
    }
  }

  /** The step of the checkpoint in {@code dir} (its checksum verified), 0 when there is none. */
  static long step(Path dir) {
    if (!exists(dir)) {
      return 0;
    }
    try (SafetensorsFile sf = SafetensorsFile.openVerified(file(dir))) {
      return Long.parseLong(sf.metadata().get("step"));
    }
  }

  static boolean exists(Path dir) {
    return Files.exists(file(dir));
  }
}
