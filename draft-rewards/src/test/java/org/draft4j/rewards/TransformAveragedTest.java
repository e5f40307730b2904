package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.draft4j.rewards.TransformAveraged.Augmentation;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TransformAveragedTest {
  static final int H = 6;
  static final int W = 7;

  /** A reward that reads every pixel differently: Σ w·x with fixed weights w. */
  static final class Weighted implements Reward {
    final INDArray w;

    Weighted(long seed) {
      Nd4j.getRandom().setSeed(seed);
      w = Nd4j.rand(DataType.FLOAT, 1, 3, H, W).subi(0.5);
    }

    @Override
    public SDVariable score(RewardGraph g, SDVariable images) {
      return images.mul(g.sd().constant(w)).sum(1, 2, 3);
    }

    double of(double[][][] img) {
      double s = 0;
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < H; y++) {
          for (int x = 0; x < W; x++) {
            s += w.getDouble(0, c, y, x) * img[c][y][x];
          }
        }
      }
      return s;
    }
  }

  /** Shift down dy and right dx with edge pixels repeated, then blur along each axis with edges repeated. */
  static double[][][] transform(INDArray x, int b, Augmentation a) {
    double[][][] out = new double[3][H][W];
    for (int c = 0; c < 3; c++) {
      double[][] s = new double[H][W];
      for (int y = 0; y < H; y++) {
        for (int xx = 0; xx < W; xx++) {
          s[y][xx] = x.getDouble(b, c, clamp(y - a.dy(), H), clamp(xx - a.dx(), W));
        }
      }
      out[c] = blurRows(transpose(blurRows(transpose(s), a.sigma())), a.sigma());
    }
    return out;
  }

  static double[][] blurRows(double[][] m, double sigma) {
    if (sigma == 0) {
      return m;
    }
    int rad = (int) Math.ceil(3 * sigma);
    double[][] o = new double[m.length][m[0].length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[0].length; j++) {
        double z = 0;
        double v = 0;
        for (int k = -rad; k <= rad; k++) {
          double wt = Math.exp(-k * k / (2 * sigma * sigma));
          z += wt;
          v += wt * m[i][clamp(j + k, m[0].length)];
        }
        o[i][j] = v / z;
      }
    }
    return o;
  }

  static double[][] transpose(double[][] m) {
    double[][] t = new double[m[0].length][m.length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[0].length; j++) {
        t[j][i] = m[i][j];
      }
    }
    return t;
  }

  static int clamp(int i, int n) {
    return Math.min(n - 1, Math.max(0, i));
  }

  @Test
  void isTheMeanOfTheRewardOverTheTransformedImages() {
    Weighted inner = new Weighted(3);
    List<Augmentation> augs = List.of(new Augmentation(0, 0, 0), new Augmentation(1, -2, 0),
        new Augmentation(-1, 1, 0.7), new Augmentation(0, 0, 1.3));
    Nd4j.getRandom().setSeed(4);
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, H, W);
    INDArray got = Rewards.score(Rewards.averaged(inner, augs), x);
    for (int b = 0; b < 2; b++) {
      double want = 0;
      for (Augmentation a : augs) {
        want += inner.of(transform(x, b, a)) / augs.size();
      }
      assertEquals(want, got.getDouble(b), 1e-4, "image " + b);
    }
    INDArray identity = Rewards.score(Rewards.averaged(inner, List.of(new Augmentation(0, 0, 0))), x);
    assertEquals(Rewards.score(inner, x), identity);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    ClipRewardsTest.checkGradient(Rewards.averaged(Rewards.pickScore(TinyClip.create(4)), List.of(
        new Augmentation(0, 0, 0), new Augmentation(1, -1, 0.5))), 8);
  }

  @Test
  void refusesBadAugmentations() {
    IllegalArgumentException sigma = assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 0, -1));
    assertTrue(sigma.getMessage().contains("sigma: -1.0"), sigma.getMessage());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> Rewards.averaged(new Weighted(1), List.of()));
    assertTrue(none.getMessage().contains("at least one"), none.getMessage());
    IllegalArgumentException far = assertThrows(IllegalArgumentException.class, () -> Rewards.score(
        Rewards.averaged(new Weighted(1), List.of(new Augmentation(H, 0, 0))), Nd4j.rand(DataType.FLOAT, 1, 3, H, W)));
    assertTrue(far.getMessage().contains("shift exceeds the 6x7 image"), far.getMessage());
  }
}
