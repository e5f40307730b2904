package org.draft4j.examples.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;

/**
 * A training run's {@code summary.json}, written by {@code train} and {@code demo} and read by the
 * results report. Fields absent from a run (no evaluation: everything but {@code lastStepRewardMean};
 * evaluation: no {@code lastStepRewardMean}; {@code evalHistory} only with {@code eval-every}) are
 * null and not written.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSummary(
    String objective,
    String reward,
    String eval,
    @JsonProperty("last_step_reward_mean") Double lastStepRewardMean,
    @JsonProperty("reward_before") Double rewardBefore,
    @JsonProperty("reward_after") Double rewardAfter,
    @JsonProperty("terms_before_after") Map<String, List<Double>> termsBeforeAfter,
    @JsonProperty("oracle_fidelity_before") Map<String, Double> oracleBefore,
    @JsonProperty("oracle_fidelity_after") Map<String, Double> oracleAfter,
    @JsonProperty("diversity_before") Double diversityBefore,
    @JsonProperty("diversity_after") Double diversityAfter,
    @JsonProperty("measured_appeal_before") Map<String, Double> appealBefore,
    @JsonProperty("measured_appeal_after") Map<String, Double> appealAfter,
    @JsonProperty("eval_history") List<EvalPoint> evalHistory,
    long steps,
    @JsonProperty("wall_seconds") double wallSeconds,
    Map<String, String> settings) {

  /** Whether the run evaluated held-out prompts before and after training. */
  boolean evaluated() {
    return rewardBefore != null;
  }

  /** Writes the summary as pretty-printed JSON. */
  public void write(Path file) throws IOException {
    org.draft4j.io.AtomicFiles.writeString(file, Json.writePretty(this));
  }

  /** Reads a {@code summary.json} a run wrote. */
  public static RunSummary read(Path file) throws IOException {
    try {
      // the optional fields may be absent; unknown fields and wrong types are still refused
      return Json.mapper().readerFor(RunSummary.class)
          .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .readValue(Files.readString(file));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": " + e.getOriginalMessage(), e);
    }
  }
}
