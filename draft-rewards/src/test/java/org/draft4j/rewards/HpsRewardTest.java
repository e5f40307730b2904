package org.draft4j.rewards;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.RewardEvaluator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** HPSv2's scoring and its ResizeMaxSize preprocessing on a tiny random CLIP. */
class HpsRewardTest {
  static final List<String> P = List.of("a red star", "a blue square");

  @Test
  void padFitsTheLongerSideAndPadsWithBlack() {
    ClipPreprocess pre = new ClipPreprocess(8, ClipPreprocess.Interpolation.BICUBIC, ClipPreprocess.Fit.PAD);
    // ResizeMaxSize: round(6 · 8/6) = 8 rows, round(4 · 8/6) = round(5.33) = 5 columns, 3 padded: 1 left, 2 right
    assertArrayEquals(new long[] {8, 5}, pre.resized(6, 4));
    INDArray px = HpsFixtureTest.preprocess(pre, Nd4j.ones(DataType.FLOAT, 1, 3, 6, 4));
    for (int c = 0; c < 3; c++) {
      double black = -ClipPreprocess.MEAN[c] / ClipPreprocess.STD[c];
      double white = (1 - ClipPreprocess.MEAN[c]) / ClipPreprocess.STD[c];
      for (int x = 0; x < 8; x++) {
        double want = x >= 1 && x < 6 ? white : black; // bicubic weights sum to 1: a constant stays constant
        for (int y = 0; y < 8; y++) {
          assertEquals(want, px.getDouble(0, c, y, x), 1e-5, "c" + c + " y" + y + " x" + x);
        }
      }
    }
  }

  @Test
  void cropSizesTheLongerSideAsTorchvisionAndTransformers() {
    ClipPreprocess pre = new ClipPreprocess(24, ClipPreprocess.Interpolation.BICUBIC);
    // int(24 · 48 / 40) = int(28.8) = 28 (rounding would give 29)
    assertArrayEquals(new long[] {28, 24}, pre.resized(48, 40));
    assertArrayEquals(new long[] {24, 28}, pre.resized(40, 48));
  }

  @Test
  void hpsIsTheCosineWithoutLogitScale() {
    ClipModel clip = TinyClip.create(8);
    clip.parameters().get("logit_scale").assign(2.0); // exp(2) would show in a scaled score
    INDArray images = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
    INDArray hps = Rewards.score(Rewards.hpsV2(clip), images, P);
    INDArray pick = Rewards.score(Rewards.pickScore(clip), images, P);
    INDArray cos = clip.imageFeatures(images).mul(clip.textFeatures(P)).sum(1);
    for (int i = 0; i < 2; i++) {
      assertEquals(cos.getDouble(i), hps.getDouble(i), 1e-5);
      assertEquals(Math.exp(2) * cos.getDouble(i), pick.getDouble(i), 1e-4);
    }
  }

  @Test
  void hpsGradientThroughPaddingMatchesFiniteDifferences() {
    RewardEvaluator ev = new RewardEvaluator(Rewards.hpsV2(TinyClip.create(9)).times(100), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    Nd4j.getRandom().setSeed(10);
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 12, 10).subi(0.5).muli(1.2);
    int visible = org.draft4j.testing.FiniteDifferences.checkReward(ev, x, P, 1e-2, 8, 97, 0.05, 1e-4);
    assertTrue(visible >= 3, "too few pixels with a visible gradient: " + visible);
  }
}
