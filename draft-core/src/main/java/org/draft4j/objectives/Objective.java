package org.draft4j.objectives;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;

/**
 * A training objective: given one micro-batch's context it returns the loss it minimizes and that
 * loss's gradient ({@link ObjectiveResult}). Objectives are small immutable values built from
 * {@link org.draft4j.spi.Sampler#rollout} spans and {@link org.draft4j.spi.Trajectory#backward}; a
 * new one needs no change to the trainer or the sampler.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "objective")
@JsonSubTypes({
  @JsonSubTypes.Type(value = FullDraft.class, name = "draft"),
  @JsonSubTypes.Type(value = DraftK.class, name = "draftK"),
  @JsonSubTypes.Type(value = DraftLv.class, name = "draftLv"),
  @JsonSubTypes.Type(value = DraftPlus.class, name = "draftPlus"),
  @JsonSubTypes.Type(value = Refl.class, name = "refl"),
  @JsonSubTypes.Type(value = AlignProp.class, name = "alignProp")
})
public interface Objective {
  /** Computes loss and gradients for one micro-batch. */
  ObjectiveResult compute(ObjectiveContext ctx);

  /** A short name with parameters, for logs and provenance. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  String name();

  /**
   * Hyperparameters for provenance and resume checks: the objective as JSON, its type under
   * {@code "objective"} and its record components as fields (built-in objectives are records read
   * back with {@code Json.mapper().readValue(json, Objective.class)}).
   */
  @SuppressWarnings("unchecked")
  default Map<String, Object> config() {
    return Json.mapper().convertValue(this, LinkedHashMap.class);
  }

  /**
   * Checks that this objective can run with the sampler (for example K ≤ number of steps), with an
   * exception naming the values; called by the trainer's {@code build()} so mistakes surface before
   * training starts.
   */
  default void validate(org.draft4j.spi.SamplingSchedule schedule) {}
}
