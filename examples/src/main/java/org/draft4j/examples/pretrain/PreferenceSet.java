package org.draft4j.examples.pretrain;

import org.draft4j.engine.ExecutionContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.examples.support.PromptGrid;
import org.draft4j.io.Json;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.TextToImageModel;
import org.draft4j.samplers.DdimSampler;
import org.draft4j.shapesworld.ShapesOracle;
import org.draft4j.shapesworld.ShapesWorld;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The base model's own samples, judged by the oracle: the preference data of the world's reward
 * CLIP, as Pick-a-Pic's human choices are PickScore's. For each single-shape caption of a world seed,
 * {@code seedsPerCaption} samples (sampling seeds from {@link #FIRST_SEED}, disjoint from the
 * evaluations' 101.. and the grids' 1000..); a sample is <em>right</em> when the oracle finds every
 * stated attribute, and each (right, wrong) pair of one caption is a preference
 * {@code right ≻ wrong}.
 */
record PreferenceSet(INDArray images, List<String> captions, int[] captionOf, boolean[] right) {
  /** First sampling seed of the preference samples. */
  static final long FIRST_SEED = 50_000;

  /** What a set was made from, saved in its file. */
  record Settings(@com.fasterxml.jackson.annotation.JsonProperty("world_seed") long worldSeed, int count,
      @com.fasterxml.jackson.annotation.JsonProperty("seeds_per_caption") int seedsPerCaption, String sampler,
      String model) {}

  /** A (caption, preferred image, rejected image) triple, as indices. */
  record Pair(int caption, int preferred, int rejected) {}

  /** Every (right, wrong) pair of samples of one caption. */
  List<Pair> pairs() {
    List<Pair> l = new ArrayList<>();
    for (int i = 0; i < right.length; i++) {
      for (int j = 0; j < right.length; j++) {
        if (captionOf[i] == captionOf[j] && right[i] && !right[j]) {
          l.add(new Pair(captionOf[i], i, j));
        }
      }
    }
    return l;
  }

  /**
   * Near misses across captions: for caption c, a sample right for c against a sample made for a
   * caption that asks for the same scene but one attribute, which the oracle finds wrong for c (the
   * model drew the other caption's kind, size, colour or background). These are the generated hard
   * negatives the same-caption pairs lack when the model is mostly right.
   */
  List<Pair> nearMisses() {
    List<ShapesOracle.Target> targets = captions.stream().map(ShapesOracle::parse).toList();
    List<List<Integer>> samplesOf = new ArrayList<>();
    for (int c = 0; c < captions.size(); c++) {
      samplesOf.add(new ArrayList<>());
    }
    for (int i = 0; i < captionOf.length; i++) {
      samplesOf.get(captionOf[i]).add(i);
    }
    List<Pair> l = new ArrayList<>();
    for (int c = 0; c < captions.size(); c++) {
      for (int d = 0; d < captions.size(); d++) {
        if (differences(targets.get(c), targets.get(d)) != 1) {
          continue;
        }
        for (int j : samplesOf.get(d)) {
          ShapesOracle.Verdict v = ShapesOracle.judge(images, j, targets.get(c));
          if (v.background() && v.color() && v.kind() && v.size()) {
            continue;
          }
          for (int i : samplesOf.get(c)) {
            if (right[i]) {
              l.add(new Pair(c, i, j));
            }
          }
        }
      }
    }
    return l;
  }

  private static int differences(ShapesOracle.Target a, ShapesOracle.Target b) {
    return (a.background() != b.background() ? 1 : 0) + (a.color() != b.color() ? 1 : 0)
        + (a.kind() != b.kind() ? 1 : 0) + (a.size() != b.size() ? 1 : 0);
  }

  /**
   * Loads {@code file} when it exists (made by the same settings), else samples, judges and writes it.
   * Samples of {@code count} single-shape captions of world seed {@code worldSeed}.
   */
  static PreferenceSet loadOrMake(Path file, TextToImageModel model, DdimSampler sampler, long worldSeed, int count,
      int seedsPerCaption) throws IOException {
    String settings = Json.write(new Settings(worldSeed, count, seedsPerCaption, sampler.toString(), model.id()));
    try (SafetensorsFile f = CachedSet.openIfMade(file, settings, "a preference set")) {
      if (f != null) {
        List<String> caps = CachedSet.captions(f);
        INDArray ci = f.get("caption_of");
        INDArray ok = f.get("right");
        int n = (int) ci.length();
        int[] c = new int[n];
        boolean[] r = new boolean[n];
        for (int i = 0; i < n; i++) {
          c[i] = ci.getInt(i);
          r[i] = ok.getDouble(i) > 0.5;
        }
        return new PreferenceSet(f.get("images"), caps, c, r);
      }
    }
    List<String> caps = new ArrayList<>();
    for (long i = 0; caps.size() < count; i++) {
      String c = ShapesWorld.scene(worldSeed, i).caption();
      if (ShapesOracle.parse(c).shapes() == 1) {
        caps.add(c);
      }
    }
    List<INDArray> rows = PromptGrid.generate(model, model.newDenoiser(ExecutionContext.shared()), caps, seedsPerCaption, FIRST_SEED, sampler);
    INDArray images = Nd4j.concat(0, rows.toArray(new INDArray[0]));
    int n = (int) images.size(0);
    int[] c = new int[n];
    boolean[] r = new boolean[n];
    float[] cf = new float[n];
    float[] rf = new float[n];
    for (int i = 0; i < n; i++) {
      c[i] = i / seedsPerCaption;
      ShapesOracle.Verdict v = ShapesOracle.judge(images, i, ShapesOracle.parse(caps.get(c[i])));
      r[i] = v.background() && v.color() && v.kind() && v.size();
      cf[i] = c[i];
      rf[i] = r[i] ? 1 : 0;
    }
    Map<String, INDArray> t = new LinkedHashMap<>();
    t.put("images", images);
    t.put("caption_of", Nd4j.createFromArray(cf));
    t.put("right", Nd4j.createFromArray(rf));
    CachedSet.write(file, t, settings, caps);
    return new PreferenceSet(images, caps, c, r);
  }
}
