package org.draft4j.samplers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.lora.Lora;
import org.draft4j.lora.LoraAdapter;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.Span;
import org.draft4j.spi.Trajectory;
import org.draft4j.testing.TinyModels;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The check both unrolled-gradient tests make: a sampler's checkpointed backward over its last K
 * steps (tiny UNet with a rank-2 LoRA, CFG) equals the gradient SameDiff computes on one graph holding
 * those K steps unrolled, {@code x ← update(i, x, out)}, within 1e-4 of the gradients' scale.
 */
final class UnrolledChainCheck {
  private UnrolledChainCheck() {}

  /** Step i of the unrolled graph: the model time fed at step i, and x_{i+1} from x_i and the guided output. */
  interface Step {
    float time(int i);

    SDVariable next(int i, SDVariable x, SDVariable out);
  }

  static void assertChainEqualsUnrolled(Sampler s, int n, int k, double guidance, Step step) {
    UNet2DConditionModel unet = TinyModels.unet(2);
    LoraAdapter lora = Lora.rank(2).create(4);
    UNetDenoiser den = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    den.attach(lora);
    den.adaptedLayers();
    Nd4j.getRandom().setSeed(9);
    lora.upMatrices().values().forEach(b -> b.assign(Nd4j.randn(DataType.FLOAT, b.shape()).muli(0.2)));
    INDArray cond = Nd4j.randn(DataType.FLOAT, 2, 4, 8);
    INDArray uncond = Nd4j.randn(DataType.FLOAT, 2, 4, 8);
    Conditioning c = new Conditioning(cond, uncond);
    INDArray xT = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8);
    INDArray probe = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8);

    Trajectory r = s.rollout(den, c, xT, new long[] {1, 2}, Span.all(n).differentiatingLast(k));
    Map<String, INDArray> chain = r.backward(probe).params();

    SameDiff sd = SameDiff.create();
    GraphBuilder g = new GraphBuilder(sd, unet.parameters(), List.of(lora));
    SDVariable x = sd.constant(s.rollout(den, c, xT, new long[] {1, 2}, Span.of(0, n - k)).output());
    for (int i = n - k; i < n; i++) {
      float t = step.time(i);
      SDVariable tv = sd.constant(Nd4j.createFromArray(new float[] {t, t}));
      SDVariable out = unet.forward(g, x, tv, sd.constant(cond), 8, 8, 4);
      if (guidance != 1.0) {
        SDVariable ou = unet.forward(g, x, tv, sd.constant(uncond), 8, 8, 4);
        out = ou.add(out.sub(ou).mul(guidance));
      }
      x = step.next(i, x, out);
    }
    sd.setLossVariables(x.mul(sd.constant(probe)).sum());
    Map<String, INDArray> feeds = new HashMap<>(lora.feeds(true));
    List<String> names = new ArrayList<>(lora.trainableParameters().keySet());
    Map<String, INDArray> unrolled = sd.calculateGradients(feeds, names);

    double scale = 0;
    double diff = 0;
    for (String name : names) {
      scale = Math.max(scale, Transforms.abs(unrolled.get(name)).maxNumber().doubleValue());
      diff = Math.max(diff, Transforms.abs(unrolled.get(name).sub(chain.get(name))).maxNumber().doubleValue());
    }
    assertTrue(scale > 1e-6, "gradient is trivially zero");
    assertTrue(diff <= 1e-4 * scale, "chain vs unrolled: max diff " + diff + " scale " + scale);
  }
}
