package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Collections;
import java.util.List;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Sampler;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainer's model as it samples: prompts become conditioning (the empty prompt as the
 * unconditional branch), per-sample seeds become initial noise, and {@link #evaluate} samples the
 * adapted denoiser without gradient and scores the images. Training micro-batches and evaluation
 * grids draw their inputs the same way here.
 */
final class Sampling {
  private static final long XT_PURPOSE = 0x78540000L;
  private final TextToImageModel model;
  private final Sampler sampler;
  private final UNetDenoiser denoiser;
  private final RewardEvaluator rewards;

  /**
   * @param model the base model (text encoder, sample shape)
   * @param sampler the sampler
   * @param denoiser the model's denoiser with the adapter attached
   * @param rewards the reward on the model's decoder
   */
  Sampling(TextToImageModel model, Sampler sampler, UNetDenoiser denoiser, RewardEvaluator rewards) {
    this.model = model;
    this.sampler = sampler;
    this.denoiser = denoiser;
    this.rewards = rewards;
  }

  UNetDenoiser denoiser() {
    return denoiser;
  }

  Sampler sampler() {
    return sampler;
  }

  RewardEvaluator rewards() {
    return rewards;
  }

  /** Prompt embeddings with the empty prompt as unconditional branch. */
  Conditioning conditioning(List<String> prompts) {
    INDArray cond = model.encode(prompts);
    INDArray uncond = model.encode(Collections.nCopies(prompts.size(), ""));
    return new Conditioning(cond, uncond);
  }

  /** The initial noise {@code x_T} of samples with these seeds, {@code [B, C, H, W]}. */
  INDArray initialNoise(long[] seeds) {
    long[] sh = model.sampleShape();
    return NoiseSource.batch(seeds, XT_PURPOSE, sh[0], sh[1], sh[2]);
  }

  /** Samples prompts with fixed per-sample seeds (adapter at its current scale) and scores them, without gradient. */
  DraftTrainer.Evaluation evaluate(List<String> prompts, long[] seeds) {
    checkArgument(prompts.size() == seeds.length, "%s prompts but %s seeds", prompts.size(), seeds.length);
    INDArray xT = initialNoise(seeds);
    Conditioning cond = conditioning(prompts);
    INDArray x0 = sampler.sample(denoiser, cond, xT, seeds);
    RewardEvaluator.Result r = rewards.evaluate(x0, prompts, false);
    return new DraftTrainer.Evaluation(r.images(), r.rewards(), r.terms());
  }
}
