package org.draft4j.examples.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Sample diversity of a grid: the mean over prompts and pairs of a prompt's samples of the RMS pixel
 * distance {@code ‖a − b‖₂ / √numel} (DRaFT+'s concern: reward training collapses the seeds).
 */
final class ImageDiversity {
  private ImageDiversity() {}

  /** Mean pairwise RMS pixel distance between the samples of each prompt (groups of {@code perPrompt}). */
  static double diversity(INDArray images, int perPrompt) {
    double sum = 0;
    int pairs = 0;
    for (int g = 0; g < images.size(0) / perPrompt; g++) {
      for (int i = 0; i < perPrompt; i++) {
        for (int j = i + 1; j < perPrompt; j++) {
          INDArray a = images.get(NDArrayIndex.point(g * perPrompt + i));
          INDArray b = images.get(NDArrayIndex.point(g * perPrompt + j));
          sum += a.distance2(b) / Math.sqrt(a.length());
          pairs++;
        }
      }
    }
    return sum / pairs;
  }
}
