package org.draft4j.spark;

import java.io.Serializable;
import org.draft4j.train.DraftTrainer;

/**
 * How to build the trainer, as a serializable function: the driver builds its trainer from it, and
 * every executor builds its replica from it once (the model from a folder path or the bundled world,
 * never shipped per task). The replica's {@link DraftTrainer#config() configuration} must equal the
 * driver's; the first step checks it and names the first field that differs.
 *
 * <pre>{@code
 * TrainerRecipe recipe = () -> DraftTrainer.builder()
 *     .model(ShapesWorldModel.pretrained()).sampler(...).reward(...).adapter(...)
 *     .objective(Objectives.draftK(1)).optimizer(AdamW.lr(1e-3)).prompts(prompts).batch(4, 16).seed(0);
 * }</pre>
 */
@FunctionalInterface
public interface TrainerRecipe extends Serializable {
  /** A builder with the model, sampler, reward, adapter, objective, optimizer, prompts, batch and seed set. */
  DraftTrainer.Builder builder();
}
