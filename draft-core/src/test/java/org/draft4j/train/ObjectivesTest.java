package org.draft4j.train;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.ObjectiveResult;
import org.draft4j.objectives.Objectives;
import org.draft4j.sampling.Chain;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.testing.ToySampler;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Objectives on the tiny model: identities between them and DRaFT-LV against its definition. */
class ObjectivesTest {
  static TextToImageModel model;
  static UNetDenoiser den;
  static ToyAdapter lora;
  static Chain sampler = ToySampler.steps(3, 2.0);
  static RewardEvaluator rewards = new RewardEvaluator(ToyRewards.contrast(), ImageDecoder.pixelSpace(), ExecutionContext.shared());
  static List<String> prompts = List.of("a red star", "a blue square");
  static long[] seeds = {11, 12};

  @BeforeAll
  static void setUp() {
    model = TinyModels.model(1);
    den = model.newDenoiser(ExecutionContext.shared());
    lora = new ToyAdapter();
    den.attach(lora);
    den.adaptedLayers();
    Nd4j.getRandom().setSeed(4); // non-zero W so every gradient path is active
    lora.trainableParameters().values().forEach(b -> b.assign(Nd4j.randn(DataType.FLOAT, b.shape()).muli(0.2)));
  }

  static Conditioning cond() {
    return new Conditioning(model.encode(prompts), model.encode(List.of("", "")));
  }

  static INDArray xT() {
    return NoiseSource.batch(seeds, 1, 3, 8, 8).muli(0.3);
  }

  /** The objective's gradient for every trainable parameter (zero where it returned none). */
  static Map<String, INDArray> grads(Objective o) {
    ObjectiveResult r = o.compute(new ObjectiveContext(den, sampler, cond(), rewards, prompts, xT(), seeds,
        new SplittableRandom(5)));
    assertTrue(Double.isFinite(r.loss()));
    Map<String, INDArray> g = new LinkedHashMap<>();
    den.trainableParameters().forEach((k, v) -> g.put(k, r.gradients().containsKey(k) ? r.gradients().get(k)
        : Nd4j.zerosLike(v)));
    return g;
  }

  static double maxRelDiff(Map<String, INDArray> a, Map<String, INDArray> b) {
    return org.draft4j.testing.GradientMaps.maxRelDiff(a, b);
  }

  @Test
  void draftKWithKEqualToStepsIsFullDraft() {
    assertEquals(0.0, maxRelDiff(grads(Objectives.draft()), grads(Objectives.draftK(3))), 1e-6);
  }

  @Test
  void draftPlusWithZeroKlIsDraftK() {
    assertEquals(0.0, maxRelDiff(grads(Objectives.draftK(2)), grads(Objectives.draftPlus(2, 0.0))), 1e-6);
  }

  @Test
  void draftPlusKlTermChangesTheGradient() {
    assertTrue(maxRelDiff(grads(Objectives.draftK(1)), grads(Objectives.draftPlus(1, 50.0))) > 1e-4);
  }

  @Test
  void draftLvWithOneSampleMatchesItsDefinition() {
    Map<String, INDArray> got = grads(Objectives.draftLv(1));
    // by hand: x0 without gradient; re-noise to the last step's level with the objective's noise stream; one step
    Conditioning c = cond();
    INDArray x0 = sampler.sample(den, c, xT(), seeds);
    INDArray eps = NoiseSource.batch(seeds, 0x4C56_0000L, 3, 8, 8);
    INDArray x1 = sampler.schedule().noiseTo(x0, 2, eps);
    Trajectory r = sampler.rollout(den, c, x1, seeds, Span.of(2, 3).differentiatingLast(1));
    RewardEvaluator.Result ev = rewards.evaluate(r.output(), prompts, true);
    Map<String, INDArray> want = new LinkedHashMap<>(r.backward(ev.gradient().mul(-1.0 / 2)).params());
    den.trainableParameters().forEach((k, v) -> want.putIfAbsent(k, Nd4j.zerosLike(v)));
    assertEquals(0.0, maxRelDiff(want, got), 1e-6);
  }

  @Test
  void reflAndAlignPropRun() {
    assertTrue(grads(Objectives.refl(0, 2)).values().stream().anyMatch(g -> g.norm2Number().doubleValue() > 0));
    assertTrue(grads(Objectives.alignProp(1, 3)).values().stream().anyMatch(g -> g.norm2Number().doubleValue() > 0));
  }
}
