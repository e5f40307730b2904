package org.draft4j.rewards;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.testing.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ClipRewardsTest {
  static final List<String> P = List.of("a red star", "a blue square");

  /** Independent plain-Java ViT: patchify, class token, positions, pre-LN, layers, post-LN on class token, projection. */
  static double[] referenceImageEmbed(Map<String, INDArray> p, INDArray px, int b) {
    ClipVisionConfig c = TinyClip.VISION;
    int d = c.hiddenSize();
    int ps = c.patchSize();
    int n = c.imageSize() / ps;
    double[][][][] w = new double[d][3][ps][ps];
    INDArray pw = p.get("vision_model.embeddings.patch_embedding.weight");
    double[][] x = new double[n * n + 1][d];
    double[] cls = Reference.vec(p.get("vision_model.embeddings.class_embedding"));
    double[][] pos = Reference.mat(p.get("vision_model.embeddings.position_embedding.weight"));
    for (int i = 0; i < d; i++) {
      x[0][i] = cls[i] + pos[0][i];
    }
    for (int py = 0; py < n; py++) {
      for (int pxi = 0; pxi < n; pxi++) {
        int t = 1 + py * n + pxi;
        for (int o = 0; o < d; o++) {
          double s = 0;
          for (int ch = 0; ch < 3; ch++) {
            for (int ky = 0; ky < ps; ky++) {
              for (int kx = 0; kx < ps; kx++) {
                s += pw.getDouble(o, ch, ky, kx) * px.getDouble(b, ch, py * ps + ky, pxi * ps + kx);
              }
            }
          }
          x[t][o] = s + pos[t][o];
        }
      }
    }
    for (int t = 0; t < x.length; t++) {
      x[t] = Reference.layerNorm(p, "vision_model.pre_layrnorm", x[t], 1e-5);
    }
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      Reference.clipLayer(p, "vision_model.encoder.layers." + l + ".", x, c.numAttentionHeads(), false, 1e-5);
    }
    double[] pooled = Reference.layerNorm(p, "vision_model.post_layernorm", x[0], 1e-5);
    return Reference.linear(p, "visual_projection", pooled);
  }

  @Test
  void visionTowerMatchesIndependentReference() {
    ClipModel clip = TinyClip.create(3);
    SameDiff sd = SameDiff.create();
    GraphBuilder g = new GraphBuilder(sd, clip.parameters(), List.of());
    SDVariable in = sd.placeHolder("px", DataType.FLOAT, -1, 3, 8, 8);
    SDVariable e = new ClipVisionModel(TinyClip.VISION, clip.parameters()).imageEmbeds(g, in);
    Nd4j.getRandom().setSeed(2);
    INDArray px = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8);
    INDArray got = sd.output(Map.of("px", px), e.name()).get(e.name());
    for (int b = 0; b < 2; b++) {
      double[] want = referenceImageEmbed(clip.parameters().asMap(), px, b);
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i], got.getDouble(b, i), 1e-4 * Math.max(1, Math.abs(want[i])), "b" + b + " i" + i);
      }
    }
  }

  @Test
  void resizeKernelsHavePyTorchWeights() {
    // F.interpolate(scale 1/2, align_corners=False): bilinear averages pixel pairs; bicubic (a = -0.75) uses
    // weights -0.09375, 0.59375, 0.59375, -0.09375 on the 4 neighbours (borders replicated)
    INDArray bil = ClipPreprocess.resizeMatrix(4, 2, ClipPreprocess.Interpolation.BILINEAR);
    assertEquals(Nd4j.createFromArray(new float[][] {{0.5f, 0.5f, 0, 0}, {0, 0, 0.5f, 0.5f}}), bil);
    INDArray bic = ClipPreprocess.resizeMatrix(8, 4, ClipPreprocess.Interpolation.BICUBIC);
    float[] row1 = bic.getRow(1).toFloatVector();
    assertArrayEquals(new float[] {0, -0.09375f, 0.59375f, 0.59375f, -0.09375f, 0, 0, 0}, row1, 1e-6f);
    assertEquals(Nd4j.eye(5).castTo(DataType.FLOAT), ClipPreprocess.resizeMatrix(5, 5,
        ClipPreprocess.Interpolation.BILINEAR));
  }

  static void assertArrayEquals(float[] a, float[] b, float tol) {
    org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, tol);
  }

  static void checkGradient(Reward r, long seed) {
    RewardEvaluator ev = new RewardEvaluator(r, ImageDecoder.pixelSpace(), ExecutionContext.shared());
    Nd4j.getRandom().setSeed(seed);
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 16, 16).subi(0.5).muli(1.2);
    int visible = org.draft4j.testing.FiniteDifferences.checkReward(ev, x, P, 1e-2, 8, 389, 0.05, 1e-4);
    assertTrue(visible >= 3, "too few pixels with a visible gradient: " + visible);
  }

  @Test
  void pickScoreGradientMatchesFiniteDifferences() {
    checkGradient(Rewards.pickScore(TinyClip.create(4)), 5);
  }

  @Test
  void aestheticGradientMatchesFiniteDifferences() {
    ClipModel clip = TinyClip.create(5);
    Parameters hp = Parameters.random(6);
    new AestheticHead(hp, 6); // an initializing store: building the head creates its weights
    AestheticHead head = new AestheticHead(Parameters.of(hp.asMap(), "head.safetensors"), 6);
    // image seed 8: with seed 7 one sampled pixel (entry 409) sits where this 10×-scaled random CLIP bends
    // sharply under the antialiased 16 -> 8 resize: central differences at h = 3e-2, 1e-2, 3e-3, 1e-3 give
    // 0.0716, 0.0124, 0.0054, 0.0038, converging on the backprop gradient 0.00466, but h = 1e-2 is off by 2.7×
    checkGradient(Rewards.aesthetic(clip, head).times(100), 8);
  }

  @Test
  void promptAlignmentDependsOnThePrompt() {
    RewardEvaluator ev = new RewardEvaluator(Rewards.pickScore(TinyClip.create(4)), ImageDecoder.pixelSpace(), ExecutionContext.shared());
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
    INDArray a = ev.evaluate(x, P, false).rewards();
    INDArray b = ev.evaluate(x, List.of(P.get(1), P.get(0)), false).rewards();
    assertTrue(Math.abs(a.getDouble(0) - b.getDouble(0)) > 1e-5, a + " vs " + b);
  }

  @Test
  void loadsAHuggingFaceClipFolder(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    ClipModel clip = TinyClip.create(9);
    Map<String, Object> text = new LinkedHashMap<>(clip.textConfig().toJson());
    Map<String, Object> vision = new LinkedHashMap<>();
    vision.put("hidden_size", 8);
    vision.put("intermediate_size", 16);
    vision.put("num_hidden_layers", 2);
    vision.put("num_attention_heads", 2);
    vision.put("image_size", 8);
    vision.put("patch_size", 4);
    vision.put("hidden_act", "quick_gelu");
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("architectures", List.of("CLIPModel"));
    cfg.put("projection_dim", 6);
    cfg.put("text_config", text);
    cfg.put("vision_config", vision);
    java.nio.file.Files.writeString(dir.resolve("config.json"), org.draft4j.io.Json.writePretty(cfg));
    org.draft4j.io.Safetensors.write(dir.resolve("model.safetensors"), clip.parameters().asMap(), Map.of());
    java.nio.file.Files.writeString(dir.resolve("vocab.json"), TinyClip.VOCAB.vocabJson());
    java.nio.file.Files.writeString(dir.resolve("merges.txt"), TinyClip.VOCAB.mergesTxt());
    ClipModel back = ClipModel.load(dir);
    assertEquals(6, back.projectionDim());
    assertEquals(clip.logitScale(), back.logitScale(), 1e-6);
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
    assertEquals(new RewardEvaluator(Rewards.pickScore(clip), ImageDecoder.pixelSpace(), ExecutionContext.shared()).evaluate(x, P, false).rewards(),
        new RewardEvaluator(Rewards.pickScore(back), ImageDecoder.pixelSpace(), ExecutionContext.shared()).evaluate(x, P, false).rewards());
  }

  @Test
  void missingOrMismatchedWeightsNameFileAndKey() {
    ClipModel clip = TinyClip.create(1);
    Map<String, INDArray> w = new LinkedHashMap<>(clip.parameters().asMap());
    w.remove("visual_projection.weight");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClipModel(clip.textConfig(),
        clip.visionConfig(), 6, Parameters.of(w, "clip/model.safetensors"), clip.tokenizer()));
    assertTrue(e.getMessage().contains("clip/model.safetensors") && e.getMessage().contains("visual_projection.weight"),
        e.getMessage());
    Map<String, INDArray> h = new LinkedHashMap<>();
    h.put("layers.0.weight", Nd4j.zeros(1024, 5));
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> new AestheticHead(Parameters.of(h, "aesthetic.safetensors"), 6));
    assertTrue(e2.getMessage().contains("aesthetic.safetensors") && e2.getMessage().contains("layers.0.weight"),
        e2.getMessage());
  }
}
