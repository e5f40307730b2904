package org.draft4j.examples.pretrain;

import java.util.SplittableRandom;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.spi.NoiseSource;

/**
 * The hard negative of a ShapesWorld scene: its counterfactual with one attribute changed, as
 * {@code pretrain-clip --hard-negatives} pairs them in a batch and the SDEdit pool ({@link SdeditPool})
 * pairs its redrawn scenes.
 */
final class HardNegative {
  private HardNegative() {}

  /**
   * The counterfactual of scene i: kind 40%, size 30%, colour 15%, background 15% of the time (kind
   * and size are what the world's first CLIP confused on generated images), the new value drawn too.
   */
  static ShapesWorld.Scene of(long seed, long i) {
    SplittableRandom r = new SplittableRandom(NoiseSource.mix(seed, i, 9));
    double u = r.nextDouble();
    ShapesWorld.Attribute a = u < 0.4 ? ShapesWorld.Attribute.KIND : u < 0.7 ? ShapesWorld.Attribute.SIZE
        : u < 0.85 ? ShapesWorld.Attribute.COLOR : ShapesWorld.Attribute.BACKGROUND;
    return ShapesWorld.counterfactual(seed, i, a, r.nextInt(1 << 20));
  }
}
