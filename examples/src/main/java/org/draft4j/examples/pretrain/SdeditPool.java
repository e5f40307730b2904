package org.draft4j.examples.pretrain;

import org.draft4j.engine.ExecutionContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Span;
import org.draft4j.train.ConsoleProgress;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Renders redrawn by the diffusion model (SDEdit, Meng et al. 2022): each render is noised to the
 * level of sampling step {@code start}'s input, {@code x = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε}, and the model
 * runs the chain's remaining steps conditioned on the render's caption. The layout, and with it the
 * label, stays the render's while edges and texture become the model's own, so a CLIP trained on
 * them learns to read the attributes of generated images from reliable labels (no judge involved).
 * Scenes come in (scene, counterfactual) pairs ({@link HardNegative}), images
 * {@code [2N, 3, 32, 32]} in [0, 1] at rows 2i and 2i + 1.
 */
record SdeditPool(INDArray images, List<String> captions) {
  /** What a pool was made from, saved in its file. */
  record Settings(@com.fasterxml.jackson.annotation.JsonProperty("world_seed") long worldSeed, int scenes, int start,
      String sampler, String model) {}

  /** Noise purpose of the pool's initial noise (distinct from the trainer's and the grids'). */
  private static final long NOISE_PURPOSE = 0x5d3d0000L;
  private static final int BATCH = 32;

  /**
   * Loads {@code file} when it exists (made by the same settings), else makes and writes it:
   * {@code scenes} scenes of world seed {@code worldSeed} and their counterfactuals, redrawn from
   * step {@code start} of {@code sampler}.
   */
  static SdeditPool loadOrMake(Path file, TextToImageModel model, DdimSampler sampler, long worldSeed, int scenes,
      int start) throws IOException {
    if (start < 1 || start >= sampler.numSteps()) {
      throw new IllegalArgumentException("SDEdit start step " + start + " must be in [1, " + (sampler.numSteps() - 1)
          + "] of the sampler's " + sampler.numSteps() + " steps");
    }
    String settings = Json.write(new Settings(worldSeed, scenes, start, sampler.toString(), model.id()));
    try (SafetensorsFile f = CachedSet.openIfMade(file, settings, "an SDEdit pool")) {
      if (f != null) {
        return new SdeditPool(f.get("images"), CachedSet.captions(f));
      }
    }
    List<ShapesWorld.Scene> all = new ArrayList<>();
    for (int i = 0; i < scenes; i++) {
      all.add(ShapesWorld.scene(worldSeed, i));
      all.add(HardNegative.of(worldSeed, i));
    }
    List<String> caps = all.stream().map(ShapesWorld.Scene::caption).toList();
    List<INDArray> out = new ArrayList<>();
    var bar = ConsoleProgress.bar(System.err, "sdedit", all.size(), 0);
    // the evaluator only decodes; its arrays are the caller's, its compiled graphs are freed here
    try (UNetDenoiser den = model.newDenoiser(ExecutionContext.shared());
        RewardEvaluator decode = new RewardEvaluator((g, img) -> img.mean(1, 2, 3), model.decoder(), ExecutionContext.shared())) {
      for (int from = 0; from < all.size(); from += BATCH) {
        int to = Math.min(all.size(), from + BATCH);
        List<String> c = caps.subList(from, to);
        long[] seeds = new long[to - from];
        for (int j = 0; j < seeds.length; j++) {
          seeds[j] = NoiseSource.mix(worldSeed, from + j, 11);
        }
        INDArray x0 = ShapesWorld.images(all.subList(from, to));
        INDArray eps = NoiseSource.batch(seeds, NOISE_PURPOSE, 3, ShapesWorld.SIZE, ShapesWorld.SIZE);
        INDArray xs = sampler.schedule().noiseTo(x0, start, eps);
        Conditioning cond = new Conditioning(model.encode(c), model.encode(Collections.nCopies(c.size(), "")));
        INDArray y = sampler.rollout(den, cond, xs, seeds, Span.of(start, sampler.numSteps())).output();
        out.add(decode.evaluate(y, c, false).images());
        bar.stepTo(to);
      }
    }
    bar.close();
    INDArray images = Nd4j.concat(0, out.toArray(new INDArray[0]));
    Map<String, INDArray> t = new LinkedHashMap<>();
    t.put("images", images);
    CachedSet.write(file, t, settings, caps);
    return new SdeditPool(images, caps);
  }

  /** Number of images (twice the scenes). */
  int size() {
    return (int) images.size(0);
  }
}
