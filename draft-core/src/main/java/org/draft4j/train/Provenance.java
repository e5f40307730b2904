package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;

/**
 * Where a trained artifact came from, as one typed value saved beside every artifact: in the
 * metadata of a saved adapter and of a checkpoint (as {@code draft4j.*} keys, {@link #toMetadata}),
 * and as a run's {@code provenance.json}.
 *
 * @param version the draft4j version that trained it
 * @param baseModel the base model's id
 * @param trainingConfig the trainer's full configuration ({@link DraftTrainer#config()})
 * @param steps optimizer steps taken
 * @param seed the training seed
 * @param nd4jBackend the ND4J backend class (bits are reproducible only for a fixed backend and thread count)
 */
public record Provenance(
    String version,
    @JsonProperty("base_model") String baseModel,
    @JsonProperty("training_config") TrainingConfig trainingConfig,
    long steps,
    long seed,
    @JsonProperty("nd4j_backend") String nd4jBackend) {
  private static final String PREFIX = "draft4j.";

  /** As safetensors metadata: {@code draft4j.version}, {@code draft4j.base_model}, ... (the config as JSON). */
  public Map<String, String> toMetadata() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "version", version);
    m.put(PREFIX + "base_model", baseModel);
    m.put(PREFIX + "training_config", Json.write(trainingConfig));
    m.put(PREFIX + "steps", String.valueOf(steps));
    m.put(PREFIX + "seed", String.valueOf(seed));
    m.put(PREFIX + "nd4j_backend", nd4jBackend);
    return m;
  }

  /** Reads {@link #toMetadata}'s keys back; a missing key is refused by name. */
  public static Provenance fromMetadata(Map<String, String> metadata) {
    for (String k : new String[] {"version", "base_model", "training_config", "steps", "seed", "nd4j_backend"}) {
      checkArgument(metadata.containsKey(PREFIX + k), "metadata has no %s%s (keys: %s)", PREFIX, k, metadata.keySet());
    }
    return new Provenance(metadata.get(PREFIX + "version"), metadata.get(PREFIX + "base_model"),
        TrainingConfig.fromJson(metadata.get(PREFIX + "training_config")),
        Long.parseLong(metadata.get(PREFIX + "steps")), Long.parseLong(metadata.get(PREFIX + "seed")),
        metadata.get(PREFIX + "nd4j_backend"));
  }

  /** Pretty JSON, for {@code provenance.json}. */
  public String toJson() {
    return Json.writePretty(this);
  }
}
