package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Listener that samples fixed evaluation prompts with fixed seeds every N steps (and before the
 * first step) and writes a PNG row per evaluation, {@code eval_step_000040.png}, plus the mean
 * reward to the log. Configure with {@link DraftTrainer.Builder#evaluation} (and the adapter weights
 * it samples with, raw or EMA, with {@link DraftTrainer.Builder#evaluationWeights}).
 */
public final class EvaluationGrids implements TrainingListener {
  private final BiFunction<List<String>, long[], DraftTrainer.Evaluation> evaluate;
  private final List<String> prompts;
  private final long[] seeds;
  private final int every;
  private final Path dir;

  /** @param evaluate samples and scores prompts with seeds (the trainer's evaluation with the chosen weights) */
  EvaluationGrids(BiFunction<List<String>, long[], DraftTrainer.Evaluation> evaluate, List<String> prompts,
      long[] seeds, int every, Path dir) {
    checkArgument(!prompts.isEmpty() && prompts.size() == seeds.length, "need as many seeds (%s) as prompts (%s)",
        seeds.length, prompts.size());
    checkArgument(every >= 1, "evaluation interval %s must be >= 1", every);
    this.evaluate = evaluate;
    this.prompts = List.copyOf(prompts);
    this.seeds = seeds.clone();
    this.every = every;
    this.dir = dir;
  }

  @Override
  public void onStart(long fromStep, long toStep, TrainingConfig config) {
    if (fromStep == 0) {
      write(0);
    }
  }

  @Override
  public void onStep(StepMetrics m) {
    if (m.step() % every == 0 || m.step() == m.totalSteps()) {
      write(m.step());
    }
  }

  private void write(long step) {
    DraftTrainer.Evaluation e = evaluate.apply(prompts, seeds);
    try {
      Files.createDirectories(dir);
      ImageIO.write(row(e.images(), 2), "png", dir.resolve(String.format("eval_step_%06d.png", step)).toFile());
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot write evaluation grid to " + dir, ex);
    }
  }

  /** One row of images {@code [B,3,H,W]} in [0,1], each upscaled by {@code zoom}. */
  public static BufferedImage row(INDArray images, int zoom) {
    int b = (int) images.size(0);
    int h = (int) images.size(2);
    int w = (int) images.size(3);
    BufferedImage img = new BufferedImage(b * w * zoom, h * zoom, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < b; i++) {
      for (int y = 0; y < h * zoom; y++) {
        for (int x = 0; x < w * zoom; x++) {
          int rgb = 0;
          for (int c = 0; c < 3; c++) {
            double v = Math.max(0, Math.min(1, images.getDouble(i, c, y / zoom, x / zoom)));
            rgb = (rgb << 8) | (int) Math.round(v * 255);
          }
          img.setRGB(i * w * zoom + x, y, rgb);
        }
      }
    }
    return img;
  }
}
