package org.draft4j.examples.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.draft4j.shapesworld.ShapesOracle;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.train.DraftTrainer;

/**
 * Held-out mean reward, diversity and oracle fidelity after {@code step} optimizer steps: one entry
 * of a run's {@code eval_history.jsonl} and of its summary's {@code eval_history}.
 *
 * @param oracleMean the oracle's fidelity over all judged attributes (null for images the oracle cannot read)
 * @param oracle fidelity per attribute (background, shape_color, shape_kind, size, mean)
 */
public record EvalPoint(long step, double reward, double diversity, @JsonProperty("oracle_mean") Double oracleMean,
    Map<String, Double> oracle) {
  static EvalPoint of(long step, DraftTrainer.Evaluation e, List<String> prompts, int seedsPerPrompt) {
    // the oracle reads ShapesWorld scenes; images of other models get no fidelity figures
    Map<String, Double> oracle = e.images().size(2) == ShapesWorld.SIZE && e.images().size(3) == ShapesWorld.SIZE
        ? ShapesOracle.accuracy(e.images(), prompts) : Map.of("mean", Double.NaN);
    double mean = oracle.get("mean");
    return new EvalPoint(step, e.rewards().meanNumber().doubleValue(),
        ImageDiversity.diversity(e.images(), seedsPerPrompt), Double.isNaN(mean) ? null : mean, oracle);
  }
}
