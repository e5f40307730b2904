package org.draft4j.lora;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** LoRA algebra: scale linearity per layer, merge/unmerge, mixing, conv LoRA. */
class LoraAlgebraTest {
  static double maxAbs(INDArray a) {
    return Transforms.abs(a).maxNumber().doubleValue();
  }

  static void randomizeB(LoraAdapter a, long seed) {
    Nd4j.getRandom().setSeed(seed);
    a.upMatrices().values().forEach(b -> b.assign(Nd4j.randn(DataType.FLOAT, b.shape()).muli(0.3)));
  }

  /** At one linear layer, y(s) = W x + s·(α/r)·B A x exactly: y(s) − y(0) = s·(y(1) − y(0)). */
  @Property(tries = 25)
  void layerOutputIsBasePlusScaleTimesDelta(@ForAll @IntRange(min = 1, max = 6) int rank,
      @ForAll @DoubleRange(min = 0.5, max = 16) double alpha, @ForAll @DoubleRange(min = -2, max = 2) double s) {
    LoraAdapter a = Lora.rank(rank).alpha(alpha).on(LoraTargets.of("l", "l")).create(rank);
    SameDiff sd = SameDiff.create();
    GraphBuilder g = new GraphBuilder(sd, Parameters.random(1), List.of(a));
    SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 6);
    SDVariable y = g.linear("l", x, 6, 5, true);
    randomizeB(a, rank);
    INDArray in = Nd4j.rand(DataType.FLOAT, 3, 6);
    java.util.function.DoubleFunction<INDArray> at = sc -> {
      a.setScale(sc);
      Map<String, INDArray> ph = new java.util.HashMap<>(a.feeds(true));
      ph.put("x", in);
      return sd.output(ph, y.name()).get(y.name());
    };
    INDArray y0 = at.apply(0);
    INDArray y1 = at.apply(1);
    INDArray ys = at.apply(s);
    assertTrue(maxAbs(ys.sub(y0).sub(y1.sub(y0).mul(s))) < 1e-4 * (1 + maxAbs(y1)), "rank " + rank);
    // and the delta itself is (α/r)·B·A·x
    INDArray want = in.mmul(a.downMatrices().get("l").transpose()).mmul(a.upMatrices().get("l").transpose())
        .muli(alpha / rank);
    assertTrue(maxAbs(y1.sub(y0).sub(want)) < 1e-4 * (1 + maxAbs(want)));
  }

  @Test
  void mergedModelEqualsAdaptedModelAndUnmergeRestores() {
    UNet2DConditionModel unet = TinyModels.unet(5);
    Map<String, INDArray> before = new java.util.HashMap<>();
    unet.parameters().asMap().forEach((k, v) -> before.put(k, v.dup()));
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = Lora.rank(3).alpha(6).on(LoraTargets.all()).create(2);
    d.attach(a);
    assertTrue(d.adaptedLayers().stream().anyMatch(m -> m.endsWith("proj_in")));
    assertTrue(d.adaptedLayers().stream().anyMatch(m -> m.endsWith("resnets.0.conv1")));
    randomizeB(a, 8);
    a.setScale(0.7);
    Nd4j.getRandom().setSeed(3);
    INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8);
    INDArray t = Nd4j.createFromArray(new float[] {10, 900});
    INDArray c = Nd4j.randn(DataType.FLOAT, 2, 4, 8);
    INDArray adapted = d.predict(x, t, c);
    a.merge(unet.parameters());
    INDArray merged = d.predict(x, t, c);
    assertTrue(maxAbs(merged.sub(adapted)) < 1e-4 * (1 + maxAbs(adapted)), "merged vs adapted " + maxAbs(merged.sub(adapted)));
    a.unmerge(unet.parameters());
    for (String k : before.keySet()) {
      assertTrue(maxAbs(unet.parameters().get(k).sub(before.get(k))) < 1e-6, "unmerge restores " + k);
    }
    assertTrue(maxAbs(d.predict(x, t, c).sub(adapted)) < 1e-5);
  }

  @Test
  void crossAttentionTargetsAdaptAttn2Only() {
    UNetDenoiser d = new UNetDenoiser(TinyModels.unet(5), 8, 8, 4, ExecutionContext.shared());
    d.attach(Lora.rank(2).on(LoraTargets.crossAttention()).create(1));
    java.util.List<String> layers = List.copyOf(d.adaptedLayers());
    assertTrue(!layers.isEmpty(), "no layer adapted");
    for (String m : layers) {
      assertTrue(m.matches(".*\\.attn2\\.(to_q|to_k|to_v|to_out\\.0)"), m);
    }
    UNetDenoiser all = new UNetDenoiser(TinyModels.unet(5), 8, 8, 4, ExecutionContext.shared());
    all.attach(Lora.rank(2).onAttention().create(1));
    // every attention block's four cross-attention projections, none of its self-attention ones
    assertEquals(all.adaptedLayers().stream().filter(m -> m.contains(".attn2.")).sorted().toList(),
        layers.stream().sorted().toList());
    assertTrue(all.adaptedLayers().stream().anyMatch(m -> m.contains(".attn1.")));
  }

  @Test
  void twoAdaptersMixAndEachScaleControlsItsOwnDelta() {
    UNet2DConditionModel unet = TinyModels.unet(6);
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = Lora.rank(2).named("style").create(1);
    LoraAdapter b = Lora.rank(2).named("content").create(2);
    d.attach(a);
    d.attach(b);
    d.adaptedLayers();
    randomizeB(a, 1);
    randomizeB(b, 2);
    Nd4j.getRandom().setSeed(4);
    INDArray x = Nd4j.randn(DataType.FLOAT, 1, 3, 8, 8);
    INDArray t = Nd4j.createFromArray(new float[] {500});
    INDArray c = Nd4j.randn(DataType.FLOAT, 1, 4, 8);
    a.setScale(0);
    b.setScale(0);
    INDArray base = d.predict(x, t, c);
    a.setScale(1);
    INDArray onlyA = d.predict(x, t, c);
    a.setScale(0);
    b.setScale(1);
    INDArray onlyB = d.predict(x, t, c);
    a.setScale(1);
    INDArray both = d.predict(x, t, c);
    assertTrue(maxAbs(onlyA.sub(base)) > 1e-4 && maxAbs(onlyB.sub(base)) > 1e-4);
    assertTrue(maxAbs(both.sub(onlyA)) > 1e-4 && maxAbs(both.sub(onlyB)) > 1e-4);
    // 32 attention projections (see LoraAdapterTest) × (A, B) per adapter
    assertEquals(2 * 32 * 2, d.trainableParameters().size());
    assertTrue(d.trainableParameters().keySet().stream().anyMatch(k -> k.startsWith("style."))
        && d.trainableParameters().keySet().stream().anyMatch(k -> k.startsWith("content.")));
  }
}
