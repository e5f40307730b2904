package org.draft4j.engine;

import org.draft4j.engine.plan.Tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.NoiseSource;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Plans as users meet them: one per input shape, replayed; in-place weight updates seen; per-block
 * checkpointing changes memory, not bits; worker threads split the batch reproducibly; closed
 * graphs refuse to run; bad feeds are refused naming the input.
 */
class PlanBehaviourTest {
  private static INDArray x(int b) {
    long[] seeds = new long[b];
    for (int i = 0; i < b; i++) {
      seeds[i] = 40 + i;
    }
    return NoiseSource.batch(seeds, 1, 3, 8, 8);
  }

  private static INDArray c(int b) {
    long[] seeds = new long[b];
    for (int i = 0; i < b; i++) {
      seeds[i] = 80 + i;
    }
    return NoiseSource.batch(seeds, 2, 1, 4, 8).reshape(b, 4, 8);
  }

  private static INDArray t(int b) {
    return Nd4j.valueArrayOf(new long[] {b}, 321f);
  }

  @Test
  void onePlanPerShapeAndWeightUpdatesAreSeen() {
    try (ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions());
        UNetDenoiser d = new UNetDenoiser(TinyModels.unet(4), 8, 8, 4, ctx)) {
      INDArray y1 = d.predict(x(2), t(2), c(2));
      d.predict(x(2), t(2), c(2));
      assertEquals(1, d.forwardRunner().compiled().stats().plans());
      d.predict(x(3), t(3), c(3));
      assertEquals(2, d.forwardRunner().compiled().stats().plans());
      // the plan binds weights by reference: an in-place change reaches the next call
      INDArray w = d.unet().parameters().get("conv_out.bias");
      w.addi(1.0);
      INDArray y2 = d.predict(x(2), t(2), c(2));
      w.subi(1.0);
      assertEquals(1.0, y2.sub(y1).meanNumber().doubleValue(), 1e-5);
    }
  }

  @Test
  void checkpointingChangesMemoryNotBits() {
    Map<Checkpointing, Denoiser.Vjp> r = new LinkedHashMap<>();
    Map<Checkpointing, Long> arena = new LinkedHashMap<>();
    for (Checkpointing ck : new Checkpointing[] {Checkpointing.NEVER, Checkpointing.ALWAYS}) {
      try (ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions().withCheckpointing(ck));
          UNetDenoiser d = new UNetDenoiser(TinyModels.unet(5), 8, 8, 4, ctx)) {
        d.setBaseTrainable(true);
        r.put(ck, d.vjp(x(2), t(2), c(2), x(2)));
        CompiledGraph.Stats s = d.vjpRunner().compiled().stats();
        assertEquals(ck == Checkpointing.ALWAYS, s.checkpointed());
        arena.put(ck, s.arenaBytes());
      }
    }
    Denoiser.Vjp a = r.get(Checkpointing.NEVER);
    Denoiser.Vjp b = r.get(Checkpointing.ALWAYS);
    assertTrue(Tracer.exactlyEqual(a.sampleGrad(), b.sampleGrad()));
    for (String k : a.paramGrads().keySet()) {
      assertTrue(Tracer.exactlyEqual(a.paramGrads().get(k), b.paramGrads().get(k)), k);
    }
    assertTrue(arena.get(Checkpointing.ALWAYS) < arena.get(Checkpointing.NEVER), arena.toString());
  }

  @Test
  void workersSplitTheBatchReproducibly() {
    Denoiser.Vjp one;
    try (ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions());
        UNetDenoiser d = new UNetDenoiser(TinyModels.unet(6), 8, 8, 4, ctx)) {
      d.setBaseTrainable(true);
      one = d.vjp(x(5), t(5), c(5), x(5));
    }
    try (ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions().withThreads(2));
        UNetDenoiser d = new UNetDenoiser(TinyModels.unet(6), 8, 8, 4, ctx)) {
      d.setBaseTrainable(true);
      Denoiser.Vjp two = d.vjp(x(5), t(5), c(5), x(5));
      Denoiser.Vjp again = d.vjp(x(5), t(5), c(5), x(5));
      assertEquals(2, d.vjpRunner().compiled().stats().plans(), "shards of 3 and 2 samples");
      EngineMatchesSameDiffTest.assertClose(one.sampleGrad(), two.sampleGrad(), "dx");
      for (String k : one.paramGrads().keySet()) {
        EngineMatchesSameDiffTest.assertClose(one.paramGrads().get(k), two.paramGrads().get(k), k);
        assertTrue(Tracer.exactlyEqual(two.paramGrads().get(k), again.paramGrads().get(k)), "not reproducible: " + k);
      }
      assertTrue(Tracer.exactlyEqual(two.sampleGrad(), again.sampleGrad()));
    }
  }

  /** y = conv1x1(x, permuted PyTorch weights, bias); loss = Σ y·u; dL/dx with frozen weights. */
  private static GraphRunner pointwise(ExecutionContext ctx, boolean bias) {
    SameDiff sd = Graphs.create();
    SDVariable x = sd.var("x", Nd4j.zeros(DataType.FLOAT, 3, 6, 5, 4));
    SDVariable w = sd.constant("w", Nd4j.linspace(-1, 1, 42, DataType.FLOAT).reshape(7, 6, 1, 1));
    SDVariable b = bias ? sd.constant("b", Nd4j.linspace(-0.5, 0.5, 7, DataType.FLOAT)) : null;
    var cfg = org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig.builder().kH(1).kW(1).sH(1).sW(1)
        .pH(0).pW(0).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID)
        .dataFormat("NCHW").weightsFormat(org.nd4j.enums.WeightsFormat.YXIO).build();
    SDVariable y = (b == null ? sd.cnn.conv2d(x, w.permute(2, 3, 1, 0), cfg) : sd.cnn.conv2d(x, w.permute(2, 3, 1, 0),
        b, cfg)).rename("y");
    SDVariable u = sd.placeHolder("u", DataType.FLOAT, -1, 7, 5, 4);
    y.mul(u).sum().rename("loss");
    sd.setLossVariables("loss");
    return GraphRunner.builder(sd).context(ctx).input("x", true).input("u", true).output("y").gradient("x")
        .label("pointwise").build();
  }

  @Test
  void pointwiseConvolutionsRunAsGemmsAndAgreeWithSameDiff() {
    INDArray x = NoiseSource.batch(new long[] {1, 2, 3}, 5, 6, 5, 4);
    INDArray u = NoiseSource.batch(new long[] {4, 5, 6}, 5, 7, 5, 4);
    for (boolean bias : new boolean[] {true, false}) {
      try (ExecutionContext engine = ExecutionContext.create(ExecutionContext.defaultOptions());
          ExecutionContext legacy = ExecutionContext.create(ExecutionContext.defaultOptions()
              .withMode(ExecutionMode.SAMEDIFF));
          GraphRunner e = pointwise(engine, bias);
          GraphRunner s = pointwise(legacy, bias)) {
        e.compiled().setProfiling(true);
        GraphRunner.Result re = e.run(Map.of("x", x, "u", u));
        GraphRunner.Result rs = s.run(Map.of("x", x, "u", u));
        assertTrue(re.outputs().get("y").equalsWithEps(rs.outputs().get("y"), 1e-5), "forward, bias " + bias);
        assertTrue(re.gradients().get("x").equalsWithEps(rs.gradients().get("x"), 1e-5), "dL/dx, bias " + bias);
        Map<String, long[]> profile = e.compiled().takeProfile();
        assertTrue(profile.containsKey("draft4j_pointwise_conv") && profile.containsKey("draft4j_pointwise_conv_bp")
            && !profile.containsKey("conv2d"), profile.keySet().toString());
      }
    }
  }

  /**
   * ND4J M2.1's divide_bp (one-element divisor) and matmul_bp (dot product) are wrong at batch 1;
   * the engine replaces them: d/dx of Σ u·x/‖x‖ + 3·x·wᵀ is (u − (u·x̂)x̂)/‖x‖ + 3w.
   */
  @Test
  void normalizationAndDotProductGradientsAreRightAtBatchOne() {
    INDArray xv = Nd4j.linspace(-0.7, 1.3, 16, DataType.DOUBLE).reshape(1, 16);
    INDArray wv = Nd4j.linspace(0.2, -0.9, 16, DataType.DOUBLE).reshape(1, 16);
    INDArray uv = Nd4j.linspace(1.0, -0.5, 16, DataType.DOUBLE).reshape(1, 16);
    SameDiff sd = Graphs.create();
    SDVariable x = sd.var("x", xv.dup());
    SDVariable y = x.div(x.norm2(true, 1));
    SDVariable z = sd.mmul(x, sd.constant(wv), false, true, false);
    y.mul(sd.constant(uv)).sum().add(z.sum().mul(3.0)).rename("loss");
    sd.setLossVariables("loss");
    try (ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions());
        GraphRunner r = GraphRunner.builder(sd).context(ctx).output("loss").gradient("x").label("norm").build()) {
      INDArray got = r.run(Map.of()).gradients().get("x");
      double n = xv.norm2Number().doubleValue();
      INDArray xh = xv.div(n);
      INDArray want = uv.sub(xh.mul(uv.mul(xh).sumNumber().doubleValue())).div(n).add(wv.mul(3.0));
      assertTrue(got.equalsWithEps(want, 1e-10), "got " + got + ", want " + want);
    }
  }

  @Test
  void closedGraphsAndBadFeedsAreRefused() {
    SameDiff sd = Graphs.create();
    SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 3);
    in.mul(2.0).rename("y");
    GraphRunner r = GraphRunner.builder(sd).context(org.draft4j.engine.ExecutionContext.shared()).input("in", true).output("y").label("doubler").build();
    assertEquals(2.0, r.run(Map.of("in", Nd4j.ones(DataType.FLOAT, 2, 3))).outputs().get("y").getDouble(1, 2));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> r.run(Map.of()));
    assertTrue(missing.getMessage().contains("\"in\""), missing.getMessage());
    r.close();
    IllegalStateException closed = assertThrows(IllegalStateException.class,
        () -> r.run(Map.of("in", Nd4j.ones(DataType.FLOAT, 2, 3))));
    assertTrue(closed.getMessage().contains("doubler"), closed.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> GraphRunner.builder(sd).context(org.draft4j.engine.ExecutionContext.shared()).input("nope", true));
    assertTrue(unknown.getMessage().contains("nope"), unknown.getMessage());
  }

  @Test
  void contextTrimAndCloseFreeTheArenas() {
    ExecutionContext ctx = ExecutionContext.create(ExecutionContext.defaultOptions());
    UNetDenoiser d = new UNetDenoiser(TinyModels.unet(7), 8, 8, 4, ctx);
    d.predict(x(2), t(2), c(2));
    d.predict(x(2), t(2), c(2)); // the second call binds the arena
    assertTrue(ctx.arenaBytes() > 0);
    ctx.trim();
    assertEquals(0, ctx.arenaBytes());
    d.predict(x(2), t(2), c(2)); // rebinds
    assertTrue(ctx.arenaBytes() > 0);
    d.close();
    ctx.close();
    assertEquals(0, ctx.arenaBytes());
    assertFalse(ctx.fusedOps() && ctx.threads() != 1);
  }
}
