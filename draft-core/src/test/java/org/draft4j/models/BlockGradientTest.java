package org.draft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradients of the UNet's building blocks against central finite differences in double precision:
 * ResNet block (GroupNorm, SiLU, 3×3 convs, time projection, 1×1 shortcut), transformer block
 * (GroupNorm, proj_in/out, LayerNorm, self- and cross-attention, GEGLU with exact GELU), stride-2
 * downsampling conv and nearest upsampling, for the input and for weights of each kind: the unfused
 * graph on SameDiff's executor, and the fused graph (draft4j's GroupNorm+SiLU, LayerNorm, GEGLU and
 * activation ops, 4-D attention) on the engine.
 */
class BlockGradientTest {
  @Test
  void blocksMatchFiniteDifferences() {
    check(false);
  }

  @Test
  void fusedBlocksOnTheEngineMatchFiniteDifferences() {
    check(true);
  }

  private static void check(boolean fused) {
    Nd4j.getRandom().setSeed(11);
    SameDiff sd = fused ? org.draft4j.engine.Graphs.create() : SameDiff.create();
    Parameters p = Parameters.random(5, DataType.DOUBLE);
    GraphBuilder g = new GraphBuilder(sd, p, List.of(), true, fused);
    SDVariable x = sd.var("x", Nd4j.randn(DataType.DOUBLE, 2, 8, 4, 4));
    SDVariable emb = sd.var("emb", Nd4j.randn(DataType.DOUBLE, 2, 16));
    SDVariable ctx = sd.var("ctx", Nd4j.randn(DataType.DOUBLE, 2 * 3, 8));
    Blocks b = new Blocks(g, 4, 1e-5, g.silu(emb), 16, ctx, 3, 8);
    SDVariable y = b.resnet("r", x, 8, 16, 4, 4);
    y = b.transformer("t", y, 16, 2, 4, 4);
    y = g.conv("down", y, 16, 16, 3, 2, 1);
    y = g.upsampleNearest2x(y);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 2, 16, 4, 4);
    SDVariable loss = y.mul(sd.constant(probe)).sum();
    sd.setLossVariables(loss);
    String lossName = loss.name();

    List<String> names = new ArrayList<>(List.of("x", "ctx", "emb", "r.conv1.weight", "r.norm1.weight",
        "r.conv_shortcut.weight", "r.time_emb_proj.weight", "t.norm.bias", "t.proj_in.weight",
        "t.transformer_blocks.0.attn1.to_q.weight", "t.transformer_blocks.0.attn2.to_k.weight",
        "t.transformer_blocks.0.norm2.weight", "t.transformer_blocks.0.ff.net.0.proj.weight",
        "t.transformer_blocks.0.ff.net.2.bias", "down.weight"));
    Map<String, INDArray> grads;
    org.draft4j.engine.GraphRunner loss0 = null;
    if (fused) {
      org.draft4j.engine.GraphRunner.Builder gb = org.draft4j.engine.GraphRunner.builder(sd).context(org.draft4j.engine.ExecutionContext.shared()).label("blocks");
      names.forEach(gb::gradient);
      grads = gb.build().run(Map.of()).gradients();
      loss0 = org.draft4j.engine.GraphRunner.builder(sd).context(org.draft4j.engine.ExecutionContext.shared()).output(lossName).label("blocks loss").build();
    } else {
      grads = sd.calculateGradients(new HashMap<>(), names);
    }
    final org.draft4j.engine.GraphRunner lossRunner = loss0;
    java.util.function.DoubleSupplier evalLoss = () -> lossRunner != null
        ? lossRunner.run(Map.of()).outputs().get(lossName).getDouble(0)
        : sd.output(new HashMap<>(), lossName).get(lossName).getDouble(0);
    for (String n : names) {
      INDArray arr = sd.getVariable(n).getArr();
      INDArray grad = grads.get(n);
      assertNotNull(grad, "no gradient for " + n);
      for (int i = 0; i < 4; i++) {
        long idx = (i * 7919L) % arr.length();
        double v = arr.getDouble(idx);
        double h = 1e-6;
        arr.putScalar(idx, v + h);
        double lp = evalLoss.getAsDouble();
        arr.putScalar(idx, v - h);
        double lm = evalLoss.getAsDouble();
        arr.putScalar(idx, v);
        double fd = (lp - lm) / (2 * h);
        double got = grad.getDouble(idx);
        assertEquals(fd, got, 1e-5 * Math.max(1, Math.abs(fd)), (fused ? "fused " : "") + n + "[" + idx + "]");
      }
    }
  }

  @Test
  void timestepEmbeddingMatchesDiffusersFormula() {
    SameDiff sd = SameDiff.create();
    SDVariable t = sd.placeHolder("t", DataType.FLOAT, -1);
    SDVariable e = Blocks.timestepEmbedding(sd, t, 8, true, 1);
    INDArray out = sd.output(Map.of("t", Nd4j.createFromArray(new float[] {500f})), e.name()).get(e.name());
    // diffusers get_timestep_embedding(t=500, dim=8, flip_sin_to_cos=True, downscale_freq_shift=1)
    for (int i = 0; i < 4; i++) {
      double f = Math.exp(-Math.log(10000) * i / (4 - 1));
      assertEquals(Math.cos(500 * f), out.getDouble(0, i), 1e-4);
      assertEquals(Math.sin(500 * f), out.getDouble(0, 4 + i), 1e-4);
    }
  }
}
