package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.draft4j.lora.Lora;
import org.draft4j.models.TextToImageModel;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.sampling.BlendSchedule;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.NoiseSource;
import org.draft4j.testing.TinyModels;
import org.draft4j.testing.ToyRewards;
import org.draft4j.train.DraftTrainer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** DDIM sampling with a trained LoRA: blending base and adapted outputs, and batch-order independence with eta. */
class AdaptedSamplingTest {
  static final List<String> PROMPTS = List.of("a red star", "a blue square");

  static TextToImageModel model() {
    TextToImageModel tiny = TinyModels.model(1);
    return TextToImageModel.builder().id("tiny-linear").tokenizer(tiny.tokenizer()).textEncoder(tiny.textEncoder())
        .unet(tiny.unet()).decoder((sd, x) -> x.mul(0.1).add(0.5)).build();
  }

  static DraftTrainer.Builder builder() {
    return DraftTrainer.builder().model(model()).sampler(Ddim.steps(4).guidance(2.0)).reward(ToyRewards.brightness())
        .adapter(Lora.rank(2)).objective(Objectives.draftK(1)).optimizer(AdamW.lr(3e-2)).prompts(PROMPTS).batch(2, 2)
        .seed(1);
  }

  @Test
  void blendedSamplingInterpolatesBetweenBaseAndAdapted() {
    try (DraftTrainer t = builder().build()) {
      t.fit(3);
      DdimSampler s = Ddim.steps(4).guidance(2.0);
      TextToImageModel m = model();
      Conditioning c = t.conditioning(PROMPTS);
      long[] seeds = {5, 6};
      INDArray xT = NoiseSource.batch(seeds, 1, 3, 8, 8);
      INDArray adapted = s.sample(t.denoiser(), c, xT, seeds, null);
      t.denoiser().setAdaptersEnabled(false);
      INDArray base = s.sample(t.denoiser(), c, xT, seeds, null);
      t.denoiser().setAdaptersEnabled(true);
      assertEquals(base, s.sampleBlended(t.denoiser(), c, xT, seeds, BlendSchedule.base(), null));
      assertEquals(adapted, s.sampleBlended(t.denoiser(), c, xT, seeds, BlendSchedule.adapted(), null));
      INDArray lin = s.sampleBlended(t.denoiser(), c, xT, seeds, BlendSchedule.linear(), null);
      assertTrue(Transforms.abs(lin.sub(base)).maxNumber().doubleValue() > 1e-6);
      assertTrue(Transforms.abs(lin.sub(adapted)).maxNumber().doubleValue() > 1e-6);
      assertEquals("tiny-linear", m.id());
    }
  }

  @Test
  void seedsMakeSamplesIndependentOfBatchOrder() {
    try (DraftTrainer t = builder().build()) {
      DdimSampler s = Ddim.steps(3).eta(1.0).guidance(2.0);
      INDArray ab = s.sample(t.denoiser(), t.conditioning(PROMPTS),
          NoiseSource.batch(new long[] {1, 2}, 9, 3, 8, 8), new long[] {1, 2}, null);
      INDArray ba = s.sample(t.denoiser(), t.conditioning(List.of(PROMPTS.get(1), PROMPTS.get(0))),
          NoiseSource.batch(new long[] {2, 1}, 9, 3, 8, 8), new long[] {2, 1}, null);
      double d = Transforms.abs(ab.get(NDArrayIndex.point(0)).sub(ba.get(NDArrayIndex.point(1)))).maxNumber()
          .doubleValue();
      assertTrue(d < 1e-5, "sample 0 depends on its batch position: " + d);
    }
  }

}
