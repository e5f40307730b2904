package org.draft4j.models.sd3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.GraphRunner;
import org.draft4j.engine.Graphs;
import org.draft4j.io.TensorStore;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.testing.Npy;
import org.draft4j.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The MMDiT reproduces diffusers' own {@code SD3Transformer2DModel} (v0.29.2, PyTorch 1.13 float32 CPU):
 * shared/diffusers-golden/tiny_sd3_transformer_seed0 (weights randn·0.05) and its {@code _std0.2}
 * twin (randn·0.2, where attention matters), 2 blocks, width 16, 16×16×16 latents, 10 text tokens; and
 * the SD3.5 folders (diffusers v0.31.0: qk_norm rms_norm, dual attention in block 0, 3 blocks).
 * Every intermediate diffusers recorded is compared too, so a divergence names its module; the graph is
 * built with the engine's fused ops and with SameDiff primitives only (the path a CUDA backend runs).
 */
class SD3TransformerGoldenTest {
  @ParameterizedTest
  @CsvSource({"tiny_sd3_transformer_seed0, true", "tiny_sd3_transformer_seed0_std0.2, true",
      "tiny_sd3_transformer_seed0, false", "tiny_sd3_transformer_seed0_std0.2, false",
      "tiny_sd35_transformer_seed0, true", "tiny_sd35_transformer_seed0_std0.2, true",
      "tiny_sd35_transformer_seed0, false", "tiny_sd35_transformer_seed0_std0.2, false"})
  void matchesDiffusers(String folder, boolean fused) throws Exception {
    Path dir = SharedData.require("diffusers-golden/" + folder);
    SD3Transformer2DModel model = SD3Transformer2DModel.load(dir);
    SD3Transformer2DConfig c = model.config();
    INDArray x = Npy.read(dir.resolve("hidden_states.npy"));
    INDArray y = Npy.read(dir.resolve("encoder_hidden_states.npy"));
    INDArray yp = Npy.read(dir.resolve("pooled_projections.npy"));
    INDArray t = Npy.read(dir.resolve("timestep.npy"));
    INDArray want = Npy.read(dir.resolve("output.npy"));
    int s = (int) x.size(2);
    int l = (int) y.size(1);

    // the stored table is diffusers' computed one
    INDArray stored = model.parameters().get(PatchEmbed.TABLE).reshape(256, 16);
    double tableDiff = Transforms.abs(stored.sub(SD3Transformer2DModel.computedPositionTable(c))).maxNumber()
        .doubleValue();
    assertTrue(tableDiff < 1e-6, "position table differs by " + tableDiff);

    Map<String, INDArray> intermediates;
    try (TensorStore f = TensorStore.open(dir.resolve("intermediates.safetensors"))) {
      intermediates = f.readAll();
    }
    SameDiff sd = Graphs.create();
    ExecutionContext ctx = ExecutionContext.shared();
    GraphBuilder g = new GraphBuilder(sd, model.parameters(), List.of(), false, fused);
    SDVariable xv = sd.placeHolder("hidden_states", DataType.FLOAT, -1, c.inChannels(), s, s);
    SDVariable yv = sd.placeHolder("encoder_hidden_states", DataType.FLOAT, -1, l, c.jointAttentionDim());
    SDVariable ypv = sd.placeHolder("pooled_projections", DataType.FLOAT, -1, c.pooledProjectionDim());
    SDVariable tv = sd.placeHolder("timestep", DataType.FLOAT, -1);
    Map<String, SDVariable> taps = new LinkedHashMap<>();
    SDVariable out = model.forward(g, xv, yv, ypv, tv, s, s, l, taps).rename("sample");
    GraphRunner.Builder rb = GraphRunner.builder(sd).context(ctx).label("sd3 golden").input("hidden_states", true)
        .input("encoder_hidden_states", true).input("pooled_projections", true).input("timestep", true)
        .output("sample");
    for (SDVariable v : taps.values()) {
      rb.output(v.name());
    }
    Map<String, INDArray> got;
    try (GraphRunner r = rb.build()) {
      got = r.run(Map.of("hidden_states", x, "encoder_hidden_states", y, "pooled_projections", yp, "timestep", t))
          .outputs();
    }
    StringBuilder report = new StringBuilder(folder + (fused ? " (fused ops)" : " (primitive ops)") + ":\n");
    for (Map.Entry<String, SDVariable> e : taps.entrySet()) {
      INDArray w = intermediates.get(e.getKey());
      if (w == null) {
        continue;
      }
      INDArray gv = got.get(e.getValue().name()).reshape(w.shape());
      report.append(String.format("  %-40s %s%n", e.getKey(), diff(gv, w)));
    }
    INDArray sample = got.get("sample");
    assertArrayEquals(want.shape(), sample.shape());
    report.append(String.format("  %-40s %s%n", "output", diff(sample, want)));
    System.out.print(report);

    double maxAbs = Transforms.abs(sample.sub(want)).maxNumber().doubleValue();
    double scale = Transforms.abs(want).maxNumber().doubleValue();
    assertTrue(maxAbs <= 1e-5 * scale, report + "max |got-want| = " + maxAbs + " vs max |want| = " + scale);

    // the compiled runner gives the same output
    if (fused == ctx.fusedOps()) try (SD3Transformer2DGraph run = new SD3Transformer2DGraph(model, s, s, l, ctx)) {
      INDArray p = run.predict(x, y, yp, t);
      assertEquals(0.0, Transforms.abs(p.sub(sample)).maxNumber().doubleValue(), 1e-6);
    }
  }

  private static String diff(INDArray got, INDArray want) {
    double maxAbs = Transforms.abs(got.sub(want)).maxNumber().doubleValue();
    double scale = Transforms.abs(want).maxNumber().doubleValue();
    return String.format("max abs %.3e  max|want| %.3e  rel %.3e", maxAbs, scale, maxAbs / scale);
  }
}
