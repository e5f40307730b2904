package org.draft4j.examples.pretrain;

import java.util.ArrayList;
import java.util.List;
import org.draft4j.rewards.ClipModel;
import org.draft4j.shapesworld.ShapesWorld;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Zero-shot retrieval accuracy of a ShapesWorld CLIP on held-out scenes: among {@code n} renders and
 * their {@code n} captions, the fraction of images whose most similar caption describes the same scene
 * (same background and the same shapes' kind, colour and size, in order; synonyms and word order
 * differ freely), and the same from text to image. Chance is about 1/n.
 */
public final class ClipRetrieval {
  private ClipRetrieval() {}

  /** Image→text and text→image top-1 accuracies. */
  public record Result(int candidates, double imageToText, double textToImage) {}

  /** Retrieval among scenes [0, n) of {@code seed}. */
  public static Result evaluate(ClipModel clip, long seed, int n) {
    List<ShapesWorld.Scene> scenes = new ArrayList<>();
    List<String> caps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(seed, i);
      scenes.add(s);
      caps.add(s.caption());
    }
    INDArray img = clip.imageFeatures(ShapesWorld.images(scenes).addi(1).divi(2));
    INDArray txt = clip.textFeatures(caps);
    INDArray sim = img.mmul(txt.transpose());
    int i2t = 0;
    int t2i = 0;
    for (int i = 0; i < n; i++) {
      int j = sim.getRow(i).argMax().getInt(0);
      i2t += same(scenes.get(i), scenes.get(j)) ? 1 : 0;
      int k = sim.getColumn(i).argMax().getInt(0);
      t2i += same(scenes.get(i), scenes.get(k)) ? 1 : 0;
    }
    return new Result(n, i2t / (double) n, t2i / (double) n);
  }

  /** Whether two scenes carry the same captioned attributes. */
  static boolean same(ShapesWorld.Scene a, ShapesWorld.Scene b) {
    if (a.background() != b.background() || a.shapes().size() != b.shapes().size()) {
      return false;
    }
    for (int i = 0; i < a.shapes().size(); i++) {
      ShapesWorld.Shape x = a.shapes().get(i);
      ShapesWorld.Shape y = b.shapes().get(i);
      if (x.kind() != y.kind() || x.color() != y.color() || x.size() != y.size()) {
        return false;
      }
    }
    return true;
  }
}
