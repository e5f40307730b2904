package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import org.draft4j.io.Json;

/**
 * Everything a trainer's result depends on, as saved in its checkpoints, provenance and
 * {@code training_config.json}; a resume compares it field by field with the checkpoint's. The
 * components' configurations are kept as what they are, JSON trees made once from each
 * component's own typed configuration ({@link #of}); this record writes as one JSON object with
 * them nested.
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
 * @param ema the EMA of the adapter weights ({@code Ema.config()}), null (and absent from the JSON)
 *     without one: a run without EMA writes the JSON it wrote before EMA existed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingConfig(
    String model,
    JsonNode sampler,
    String reward,
    @JsonProperty("reward_graph") String rewardGraph,
    JsonNode adapter,
    JsonNode objective,
    JsonNode optimizer,
    @JsonProperty("micro_batch") int microBatch,
    @JsonProperty("global_batch") int globalBatch,
    long seed,
    JsonNode ema) implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Keeps copies of the trees (a caller's later change to its node does not change this value), with
   * numbers as {@link Json} reads them: integers as long, other numbers as double. Two
   * configurations of the same values are thus equal however their trees were made.
   */
  public TrainingConfig {
    sampler = normalized(checkNotNull(sampler, "sampler config"));
    adapter = normalized(checkNotNull(adapter, "adapter config"));
    objective = normalized(checkNotNull(objective, "objective config"));
    optimizer = normalized(checkNotNull(optimizer, "optimizer config"));
    ema = ema == null || ema.isNull() ? null : normalized(ema);
  }

  /** A configuration without EMA. */
  public TrainingConfig(String model, JsonNode sampler, String reward, String rewardGraph, JsonNode adapter,
      JsonNode objective, JsonNode optimizer, int microBatch, int globalBatch, long seed) {
    this(model, sampler, reward, rewardGraph, adapter, objective, optimizer, microBatch, globalBatch, seed, null);
  }

  /**
   * The configuration of components whose configurations are given as whatever their {@code
   * config()} returns (a map of JSON-ready values, a record): each is turned into a JSON tree once,
   * through {@link Json#mapper()}.
   */
  public static TrainingConfig of(String model, Object sampler, String reward, String rewardGraph, Object adapter,
      Object objective, Object optimizer, int microBatch, int globalBatch, long seed) {
    return new TrainingConfig(model, tree(sampler), reward, rewardGraph, tree(adapter), tree(objective),
        tree(optimizer), microBatch, globalBatch, seed, null);
  }

  /** This configuration with the EMA of the adapter weights {@code ema} (an {@code Ema.config()}; null for none). */
  public TrainingConfig withEma(Object ema) {
    return new TrainingConfig(model, sampler, reward, rewardGraph, adapter, objective, optimizer, microBatch,
        globalBatch, seed, ema == null ? null : tree(ema));
  }

  /**
   * Reads the JSON this record writes (a checkpoint's {@code config}, a provenance's {@code
   * training_config}); {@code reward_graph} and {@code ema} may be absent, every other field must be
   * there.
   *
   * @throws IllegalArgumentException naming a missing field or one of the wrong type
   */
  public static TrainingConfig fromJson(String json) {
    JsonNode t = tree(Json.parseObject(json));
    JsonNode graph = t.get("reward_graph");
    checkArgument(graph == null || graph.isNull() || graph.isTextual(), "training config: reward_graph = %s must be"
        + " a string or absent", graph);
    JsonNode ema = t.get("ema");
    checkArgument(ema == null || ema.isNull() || ema.isObject(), "training config: ema = %s must be an object or"
        + " absent", ema);
    return new TrainingConfig(text(t, "model"), field(t, "sampler"), text(t, "reward"),
        graph == null || graph.isNull() ? null : graph.textValue(), field(t, "adapter"), field(t, "objective"),
        field(t, "optimizer"), Math.toIntExact(integer(t, "micro_batch")), Math.toIntExact(integer(t, "global_batch")),
        integer(t, "seed"), ema);
  }

  @Override
  public JsonNode sampler() {
    return sampler.deepCopy();
  }

  @Override
  public JsonNode adapter() {
    return adapter.deepCopy();
  }

  @Override
  public JsonNode objective() {
    return objective.deepCopy();
  }

  @Override
  public JsonNode optimizer() {
    return optimizer.deepCopy();
  }

  @Override
  public JsonNode ema() {
    return ema == null ? null : ema.deepCopy();
  }

  /**
   * Where this configuration, a replica's, first differs from the driver's: the dotted path and
   * both values, or null when the replica builds the same trainer. The comparison of resumes
   * ({@link CheckpointMismatchException#requireSameConfiguration}) without the reward graph's
   * fingerprint, which only a trainer with checkpoints computes, and without the EMA, which only the
   * driver keeps (a replica's micro-batches do not depend on it).
   */
  public String differenceFrom(TrainingConfig driver) {
    checkNotNull(driver, "driver config");
    ConfigDifference d = ConfigDifference.first("", driver.replicaPart().tree(), replicaPart().tree());
    return d == null ? null : d.field() + " (driver " + Json.write(d.saved()) + ", replica " + Json.write(d.now())
        + ")";
  }

  /** This configuration as one JSON tree (the object {@link Json#write} writes). */
  JsonNode tree() {
    return tree(this);
  }

  /** What a data-parallel replica must share with its driver: all but the reward graph and the EMA. */
  private TrainingConfig replicaPart() {
    return new TrainingConfig(model, sampler, reward, null, adapter, objective, optimizer, microBatch, globalBatch,
        seed, null);
  }

  /** A copy of {@code n} with integers as long and other numbers as double nodes. */
  private static JsonNode normalized(JsonNode n) {
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      return LongNode.valueOf(n.longValue());
    }
    if (n.isFloatingPointNumber()) {
      return DoubleNode.valueOf(n.doubleValue());
    }
    if (n.isObject()) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      n.properties().forEach(e -> o.set(e.getKey(), normalized(e.getValue())));
      return o;
    }
    if (n.isArray()) {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      n.forEach(e -> a.add(normalized(e)));
      return a;
    }
    return n.deepCopy();
  }

  private static JsonNode tree(Object value) {
    return Json.mapper().valueToTree(value);
  }

  private static JsonNode field(JsonNode t, String name) {
    JsonNode v = t.get(name);
    checkArgument(v != null, "training config: field %s is missing (fields: %s)", name, names(t));
    return v;
  }

  private static String text(JsonNode t, String name) {
    JsonNode v = field(t, name);
    checkArgument(v.isTextual(), "training config: %s = %s must be a string", name, v);
    return v.textValue();
  }

  private static long integer(JsonNode t, String name) {
    JsonNode v = field(t, name);
    checkArgument(v.isIntegralNumber() && v.canConvertToLong(), "training config: %s = %s must be an integer", name,
        v);
    return v.longValue();
  }

  private static java.util.List<String> names(JsonNode t) {
    java.util.List<String> n = new java.util.ArrayList<>();
    t.fieldNames().forEachRemaining(n::add);
    return n;
  }
}
