package org.draft4j.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * Everything a trainer's result depends on, as saved in its checkpoints, provenance and
 * {@code training_config.json}; a resume compares it field by field with the checkpoint's. The
 * parts are each component's own typed configuration, written as JSON.
 *
 * @param model the base model's id
 * @param sampler the sampler's configuration (scheduler included)
 * @param reward the reward's stable name
 * @param rewardGraph a fingerprint of the reward's graph at the training shape (with checkpoints only)
 * @param adapter the adapter's configuration
 * @param objective the objective's configuration
 * @param optimizer the optimizer's configuration
 * @param microBatch samples per forward/backward pass
 * @param globalBatch samples per optimizer step
 * @param seed the run's seed (prompts, noise, adapter initialization)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingConfig(
    String model,
    Map<String, Object> sampler,
    String reward,
    @JsonProperty("reward_graph") String rewardGraph,
    Map<String, Object> adapter,
    Map<String, Object> objective,
    Map<String, Object> optimizer,
    @JsonProperty("micro_batch") int microBatch,
    @JsonProperty("global_batch") int globalBatch,
    long seed) {

  /**
   * Where this configuration, a replica's, first differs from the driver's (given as the JSON this
   * record writes): the dotted path and both values, or null when the replica builds the same
   * trainer. The comparison of resumes ({@link CheckpointMismatchException#requireSameConfiguration})
   * without the reward graph's fingerprint, which only a trainer with checkpoints computes.
   */
  public String differenceFrom(String driverJson) {
    Map<String, Object> driver = new java.util.LinkedHashMap<>(org.draft4j.io.Json.parseObject(driverJson));
    Map<String, Object> mine = new java.util.LinkedHashMap<>(org.draft4j.io.Json.parseObject(
        org.draft4j.io.Json.write(this)));
    driver.remove("reward_graph");
    mine.remove("reward_graph");
    Checkpoints.Difference d = Checkpoints.firstDifference("", driver, mine);
    return d == null ? null : d.field() + " (driver " + org.draft4j.io.Json.write(d.saved()) + ", replica "
        + org.draft4j.io.Json.write(d.now()) + ")";
  }
}
