package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.ObjectiveContext;
import org.draft4j.objectives.ObjectiveResult;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.NoiseSource;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyAdapter;
import org.draft4j.testing.ToyRewards;
import org.draft4j.train.DraftTrainer;
import org.draft4j.train.StepMetrics;
import org.draft4j.train.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The whole DRaFT family on the flow sampler, unchanged: each objective trains a few steps through
 * {@code DraftTrainer.builder()} on the tiny model with classifier-free guidance under
 * backpropagation, and on the objective level the identities hold as on DDIM (DRaFT-K with K = T is
 * DRaFT, DRaFT+ at 0 is DRaFT-K), DRaFT-LV re-noises with the flow's {@code σ·ε + (1 − σ)·x₀}, and
 * DRaFT+'s KL is the velocity MSE against the adapters-off model.
 */
class FlowObjectivesTest {
  static final List<String> PROMPTS = List.of("a red star", "a blue square", "a green circle", "a red square");
  static final FlowMatchSampler SAMPLER = FlowMatch.steps(3, FlowMatchSchedulerConfig.sd3()).guidance(2.0);
  static TextToImageModel model;
  static UNetDenoiser den;
  static ToyAdapter lora;
  static RewardEvaluator rewards;
  static List<String> prompts = List.of("a red star", "a blue square");
  static long[] seeds = {11, 12};

  @BeforeAll
  static void setUp() {
    model = TinyModels.model(1);
    den = model.newDenoiser(ExecutionContext.shared());
    lora = new ToyAdapter();
    den.attach(lora);
    den.adaptedLayers();
    Nd4j.getRandom().setSeed(4); // non-zero adapter so every gradient path (and DRaFT+'s KL) is active
    lora.trainableParameters().values().forEach(b -> b.assign(Nd4j.randn(DataType.FLOAT, b.shape()).muli(0.2)));
    rewards = new RewardEvaluator(ToyRewards.contrast(), ImageDecoder.pixelSpace(), ExecutionContext.shared());
  }

  static Objective objective(String name) {
    return switch (name) {
      case "draft" -> Objectives.draft();
      case "draftK" -> Objectives.draftK(2);
      case "draftLv" -> Objectives.draftLv(2);
      case "refl" -> Objectives.refl(0, 2);
      case "alignProp" -> Objectives.alignProp(1, 3);
      case "draftPlus" -> Objectives.draftPlus(2, 5.0);
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"draft", "draftK", "draftLv", "refl", "alignProp", "draftPlus"})
  void eachObjectiveTrainsThroughTheBuilder(String name) {
    List<StepMetrics> seen = new ArrayList<>();
    try (DraftTrainer t = DraftTrainer.builder().model(TinyModels.model(1)).sampler(SAMPLER)
        .reward(ToyRewards.contrast()).adapter(ToyAdapter.spec()).objective(objective(name))
        .optimizer(AdamW.lr(1e-2)).prompts(PROMPTS).seed(7).batch(2, 2).listener(new TrainingListener() {
          @Override
          public void onStep(StepMetrics s) {
            seen.add(s);
          }
        }).build()) {
      Map<String, INDArray> before = new LinkedHashMap<>();
      t.denoiser().trainableParameters().forEach((k, v) -> before.put(k, v.dup()));
      t.fit(2);
      assertEquals(2, t.step());
      assertEquals(2, seen.size());
      assertTrue(seen.stream().allMatch(s -> Double.isFinite(s.loss()) && !s.skipped() && s.gradNorm() > 0),
          name + ": " + seen);
      double moved = 0;
      for (Map.Entry<String, INDArray> e : t.denoiser().trainableParameters().entrySet()) {
        moved = Math.max(moved, Transforms.abs(e.getValue().sub(before.get(e.getKey()))).maxNumber().doubleValue());
      }
      assertTrue(moved > 0, name + " left the adapter unchanged");
      assertEquals("flow_match_euler", t.config().sampler().get("sampler").asText(), "provenance names the flow sampler");
    }
  }

  static Conditioning cond() {
    return new Conditioning(model.encode(prompts), model.encode(List.of("", "")));
  }

  static INDArray xT() {
    return NoiseSource.batch(seeds, 1, 3, 8, 8);
  }

  static ObjectiveResult run(Objective o) {
    ObjectiveResult r = o.compute(new ObjectiveContext(den, SAMPLER, cond(), rewards, prompts, xT(), seeds,
        new SplittableRandom(5)));
    assertTrue(Double.isFinite(r.loss()));
    return r;
  }

  static Map<String, INDArray> grads(Objective o) {
    return filled(run(o).gradients());
  }

  static Map<String, INDArray> filled(Map<String, INDArray> got) {
    Map<String, INDArray> g = new LinkedHashMap<>();
    den.trainableParameters().forEach((k, v) -> g.put(k, got.containsKey(k) ? got.get(k) : Nd4j.zerosLike(v)));
    return g;
  }

  static double maxRelDiff(Map<String, INDArray> a, Map<String, INDArray> b) {
    return org.draft4j.testing.GradientMaps.maxRelDiff(a, b);
  }

  @Test
  void draftKWithKEqualToStepsIsFullDraftAndDraftPlusAtZeroIsDraftK() {
    assertEquals(0.0, maxRelDiff(grads(Objectives.draft()), grads(Objectives.draftK(3))), 1e-6);
    assertEquals(0.0, maxRelDiff(grads(Objectives.draftK(2)), grads(Objectives.draftPlus(2, 0.0))), 1e-6);
    assertTrue(maxRelDiff(grads(Objectives.draftK(1)), grads(Objectives.draftPlus(1, 50.0))) > 1e-4);
  }

  @Test
  void draftLvReNoisesWithTheFlowMarginal() {
    Map<String, INDArray> got = grads(Objectives.draftLv(1));
    Conditioning c = cond();
    INDArray x0 = SAMPLER.sample(den, c, xT(), seeds, null);
    INDArray eps = NoiseSource.batch(seeds, 0x4C56_0000L, 3, 8, 8);
    double sigma = SAMPLER.schedule().sigma(2);
    INDArray x1 = eps.mul(sigma).addi(x0.mul(1 - sigma)); // σ·ε + (1 − σ)·x₀ at the last step's level
    assertTrue(Transforms.abs(x1.sub(SAMPLER.schedule().noiseTo(x0, 2, eps))).maxNumber().doubleValue() < 1e-6);
    Trajectory r = SAMPLER.rollout(den, c, x1, seeds, Span.of(2, 3).differentiatingLast(1));
    RewardEvaluator.Result ev = rewards.evaluate(r.output(), prompts, true);
    Map<String, INDArray> want = filled(r.backward(ev.gradient().mul(-1.0 / 2)).params());
    assertEquals(0.0, maxRelDiff(want, got), 1e-6);
  }

  @Test
  void draftPlusKlIsTheVelocityMseAgainstTheAdaptersOffModel() {
    int k = 2;
    ObjectiveResult r = run(Objectives.draftPlus(k, 5.0));
    Conditioning c = cond();
    INDArray x = SAMPLER.rollout(den, c, xT(), seeds, Span.of(0, 3 - k)).output();
    double kl = 0;
    for (int i = 3 - k; i < 3; i++) {
      INDArray v = SAMPLER.guidedOutput(den, c, x, i);
      boolean was = den.setAdaptersEnabled(false);
      INDArray ref = SAMPLER.guidedOutput(den, c, x, i);
      den.setAdaptersEnabled(was);
      INDArray d = v.sub(ref);
      kl += d.mul(d).sumNumber().doubleValue() / d.length() / k;
      x = SAMPLER.rollout(den, c, x, seeds, Span.of(i, i + 1)).output();
    }
    assertTrue(kl > 1e-8, "the adapter changes the velocity");
    assertEquals(kl, r.metrics().get("kl"), 1e-5 * kl, "KL = mean_k Σ(v_θ − v_ref)² / numel");
  }

  @Test
  void reflAndAlignPropDifferentiate() {
    assertTrue(grads(Objectives.refl(0, 2)).values().stream().anyMatch(g -> g.norm2Number().doubleValue() > 0));
    assertTrue(grads(Objectives.alignProp(1, 3)).values().stream().anyMatch(g -> g.norm2Number().doubleValue() > 0));
  }
}
