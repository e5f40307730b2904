package org.draft4j.objectives;

import java.util.List;
import java.util.SplittableRandom;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Sampler;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything an objective needs for one micro-batch.
 *
 * @param model the adapted denoiser (adapters can be switched off for a reference)
 * @param sampler the sampling chain
 * @param cond text conditioning of the batch
 * @param rewards reward of decoded samples, with gradient
 * @param prompts one prompt per sample
 * @param initialNoise x_T, {@code [B, C, H, W]}
 * @param seeds one seed per sample (sampler noise, re-noising)
 * @param random randomness of the objective itself (random truncation), seeded by the trainer
 */
public record ObjectiveContext(Denoiser model, Sampler sampler, Conditioning cond, RewardEvaluator rewards,
    List<String> prompts, INDArray initialNoise, long[] seeds, SplittableRandom random) {}
