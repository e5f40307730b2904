package org.draft4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.optim.EmaState;
import org.draft4j.optim.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trainer checkpoints: one safetensors file with the trainable parameters ({@code param/...}), the
 * optimizer state ({@code opt/...}), with an EMA of the weights its shadows ({@code ema/...}, and
 * its update count as {@code ema_step}), the step, and the configuration as JSON. Without an EMA
 * the file is what it was before EMA existed. Every random draw of
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

  /** Writes the checkpoint; {@code ema} is null without an EMA. */
  static void write(Path dir, long step, Map<String, INDArray> params, OptimizerState state, EmaState ema,
      Provenance provenance) {
    Map<String, INDArray> t = new LinkedHashMap<>();
    params.forEach((k, v) -> t.put("param/" + k, v));
    state.slots().forEach((k, v) -> t.put("opt/" + k, v));
    if (ema != null) {
      ema.shadow().forEach((k, v) -> t.put("ema/" + k, v));
    }
    Map<String, String> meta = new LinkedHashMap<>(provenance.toMetadata());
    meta.put("step", String.valueOf(step));
    meta.put("optimizer_step", String.valueOf(state.step()));
    if (ema != null) {
      meta.put("ema_step", String.valueOf(ema.step()));
    }
    meta.put("config", Json.write(provenance.trainingConfig()));
    Safetensors.write(file(dir), t, meta);
  }

  /**
   * Restores parameters, optimizer state and (when {@code ema} is not null) the EMA in place and
   * returns the step; refuses a checkpoint written with another configuration, naming the first
   * differing field (a checkpoint without an EMA differs from a trainer with one in {@code ema}).
   */
  static long restore(Path dir, Map<String, INDArray> params, OptimizerState state, EmaState ema,
      TrainingConfig config) {
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
      if (ema != null) {
        String emaStep = sf.metadata().get("ema_step");
        if (emaStep == null) {
          throw new IllegalStateException(f + " has no ema_step although its configuration has an EMA");
        }
        for (Map.Entry<String, INDArray> e : ema.shadow().entrySet()) {
          e.getValue().assign(sf.get("ema/" + e.getKey()));
        }
        ema.setStep(Long.parseLong(emaStep));
      }
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
