package org.draft4j.rewards;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ContrastiveAlignmentTest {
  static final List<String> P = List.of("a red star", "a blue square");
  static final Map<String, List<String>> ALTERNATIVES = Map.of(
      "a red star", List.of("a blue star", "a red square", "a red circle"),
      "a blue square", List.of("a red square"));

  static INDArray images(long seed) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
  }

  /** log softmax of the prompt's τ·cos among its own and its alternatives', from the CLIP's feature methods. */
  static double reference(ClipModel clip, INDArray images, int b, String prompt) {
    INDArray img = clip.imageFeatures(images.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(b, b + 1)));
    List<String> all = new java.util.ArrayList<>(List.of(prompt));
    all.addAll(ALTERNATIVES.get(prompt));
    INDArray txt = clip.textFeatures(all);
    double tau = clip.logitScale();
    double[] s = new double[all.size()];
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < s.length; j++) {
      s[j] = tau * img.getRow(0).mul(txt.getRow(j)).sumNumber().doubleValue();
      max = Math.max(max, s[j]);
    }
    double z = 0;
    for (double v : s) {
      z += Math.exp(v - max);
    }
    return s[0] - max - Math.log(z);
  }

  @Test
  void isTheLogProbabilityOfThePromptAmongItsAlternatives() {
    ClipModel clip = TinyClip.create(4);
    INDArray x = images(1);
    for (int max : new int[] {3, 7}) {
      Reward r = Rewards.contrastiveAlignment(clip, ALTERNATIVES::get, max);
      INDArray got = Rewards.score(r, x, P);
      for (int b = 0; b < 2; b++) {
        double want = reference(clip, x, b, P.get(b));
        assertEquals(want, got.getDouble(b), 1e-4 * Math.max(1, Math.abs(want)), "image " + b + ", max " + max);
        assertTrue(got.getDouble(b) < 0, "a log-probability: " + got);
      }
    }
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    ClipRewardsTest.checkGradient(Rewards.contrastiveAlignment(TinyClip.create(4), ALTERNATIVES::get, 4).times(10), 6);
  }

  @Test
  void refusesAlternativesItCannotScore() {
    ClipModel clip = TinyClip.create(4);
    INDArray x = images(2);
    IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
        () -> Rewards.score(Rewards.contrastiveAlignment(clip, ALTERNATIVES::get, 2), x, P));
    assertTrue(tooMany.getMessage().contains("\"a red star\"") && tooMany.getMessage().contains("3 captions")
        && tooMany.getMessage().contains("maxAlternatives = 2"), tooMany.getMessage());
    Function<String, List<String>> self = p -> List.of(p, "a green star");
    IllegalArgumentException itself = assertThrows(IllegalArgumentException.class,
        () -> Rewards.score(Rewards.contrastiveAlignment(clip, self, 2), x, P));
    assertTrue(itself.getMessage().contains("the prompt itself"), itself.getMessage());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> Rewards.score(Rewards.contrastiveAlignment(clip, p -> List.of(), 2), x, P));
    assertTrue(none.getMessage().contains("0 captions"), none.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> Rewards.contrastiveAlignment(clip, ALTERNATIVES::get, 0));
    assertTrue(zero.getMessage().contains("maxAlternatives: 0"), zero.getMessage());
  }

  @Test
  void evaluatorReusesItsGraphAcrossPrompts() {
    ClipModel clip = TinyClip.create(4);
    RewardEvaluator ev = new RewardEvaluator(Rewards.contrastiveAlignment(clip, ALTERNATIVES::get, 3),
        ImageDecoder.identity(), ExecutionContext.shared());
    INDArray x = images(3);
    INDArray a = ev.evaluate(x, P, false).rewards();
    INDArray b = ev.evaluate(x, List.of(P.get(1), P.get(0)), false).rewards();
    assertEquals(reference(clip, x, 0, P.get(1)), b.getDouble(0), 1e-4 * Math.max(1, Math.abs(b.getDouble(0))));
    assertTrue(Math.abs(a.getDouble(0) - b.getDouble(0)) > 1e-5, a + " vs " + b);
  }
}
