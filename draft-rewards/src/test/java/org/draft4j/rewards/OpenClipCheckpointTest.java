package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** open_clip state dicts written here (safetensors) from a random Hugging Face-layout model. */
class OpenClipCheckpointTest {
  static final OpenClipConfig TINY = new OpenClipConfig(6, 8, 4, 8, 2, 2, 16, 8, TinyClip.VOCAB.vocab().size(), 8, 1,
      2, 16, false);

  /**
   * open_clip's state dict of a Hugging Face-layout model, built as open_clip lays it out: q, k, v
   * stacked into in_proj (nn.MultiheadAttention), projections as {@code [d, E]} matrices.
   */
  static Map<String, INDArray> toOpenClip(Map<String, INDArray> hf, String prefix) {
    Map<String, INDArray> m = new LinkedHashMap<>();
    String ve = "vision_model.embeddings.";
    m.put("visual.conv1.weight", hf.get(ve + "patch_embedding.weight"));
    m.put("visual.class_embedding", hf.get(ve + "class_embedding"));
    m.put("visual.positional_embedding", hf.get(ve + "position_embedding.weight"));
    norm(hf, "vision_model.pre_layrnorm", "visual.ln_pre", m);
    for (int i = 0; i < TINY.visionLayers(); i++) {
      layer(hf, "vision_model.encoder.layers." + i + ".", "visual.transformer.resblocks." + i + ".", m);
    }
    norm(hf, "vision_model.post_layernorm", "visual.ln_post", m);
    m.put("visual.proj", hf.get("visual_projection.weight").transpose().dup());
    m.put("token_embedding.weight", hf.get("text_model.embeddings.token_embedding.weight"));
    m.put("positional_embedding", hf.get("text_model.embeddings.position_embedding.weight"));
    for (int i = 0; i < TINY.textLayers(); i++) {
      layer(hf, "text_model.encoder.layers." + i + ".", "transformer.resblocks." + i + ".", m);
    }
    norm(hf, "text_model.final_layer_norm", "ln_final", m);
    m.put("text_projection", hf.get("text_projection.weight").transpose().dup());
    m.put("logit_scale", hf.get("logit_scale"));
    Map<String, INDArray> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(prefix + k, v));
    return out;
  }

  private static void layer(Map<String, INDArray> hf, String from, String to, Map<String, INDArray> m) {
    norm(hf, from + "layer_norm1", to + "ln_1", m);
    norm(hf, from + "layer_norm2", to + "ln_2", m);
    String a = from + "self_attn.";
    m.put(to + "attn.in_proj_weight", Nd4j.concat(0, hf.get(a + "q_proj.weight"), hf.get(a + "k_proj.weight"),
        hf.get(a + "v_proj.weight")));
    m.put(to + "attn.in_proj_bias", Nd4j.concat(0, hf.get(a + "q_proj.bias"), hf.get(a + "k_proj.bias"),
        hf.get(a + "v_proj.bias")));
    norm(hf, a + "out_proj", to + "attn.out_proj", m);
    norm(hf, from + "mlp.fc1", to + "mlp.c_fc", m);
    norm(hf, from + "mlp.fc2", to + "mlp.c_proj", m);
  }

  private static void norm(Map<String, INDArray> hf, String from, String to, Map<String, INDArray> m) {
    m.put(to + ".weight", hf.get(from + ".weight"));
    m.put(to + ".bias", hf.get(from + ".bias"));
  }

  static ClipModel randomHf(long seed) {
    return ClipModel.random(TINY.textConfig(), TINY.visionConfig(), TINY.embedDim(), TinyClip.VOCAB.tokenizer(8), seed);
  }

  static Path write(Path dir, String name, Map<String, INDArray> tensors) {
    Path f = dir.resolve(name);
    Safetensors.write(f, tensors, Map.of());
    return f;
  }

  @Test
  void loadsEveryTensorUnderItsHuggingFaceName(@TempDir Path dir) {
    ClipModel want = randomHf(1);
    Map<String, INDArray> oc = toOpenClip(want.parameters().asMap(), "state_dict.");
    oc.put("state_dict.attn_mask", Nd4j.zeros(8, 8)); // a persistent buffer in some open_clip versions
    oc.put("optimizer.step", Nd4j.scalar(3f)); // outside the state dict: ignored
    ClipModel got = OpenClipCheckpoint.load(write(dir, "c.safetensors", oc), TINY, TinyClip.VOCAB.tokenizer(8));
    assertEquals(want.parameters().asMap().keySet(), got.parameters().asMap().keySet());
    want.parameters().asMap().forEach((k, v) -> assertEquals(v, got.parameters().get(k), k));
    assertEquals(want.logitScale(), got.logitScale(), 0);
    assertEquals("gelu", got.visionConfig().hiddenAct());
  }

  @Test
  void splitsInProjRowsIntoQueryKeyValue(@TempDir Path dir) {
    Map<String, INDArray> oc = toOpenClip(randomHf(2).parameters().asMap(), "");
    String k = "transformer.resblocks.0.attn.in_proj_";
    // rows 0-7 of in_proj are q, 8-15 k, 16-23 v (nn.MultiheadAttention's [q; k; v] layout)
    INDArray w = Nd4j.zeros(24, 8);
    INDArray b = Nd4j.zeros(24);
    for (int j = 0; j < 3; j++) {
      w.get(NDArrayIndex.interval(8 * j, 8 * j + 8), NDArrayIndex.all()).assign(j + 1);
      b.get(NDArrayIndex.interval(8 * j, 8 * j + 8)).assign(10 * (j + 1));
    }
    oc.put(k + "weight", w);
    oc.put(k + "bias", b);
    ClipModel got = OpenClipCheckpoint.load(write(dir, "c.safetensors", oc), TINY, TinyClip.VOCAB.tokenizer(8));
    String[] names = {"q_proj", "k_proj", "v_proj"};
    for (int j = 0; j < 3; j++) {
      String p = "text_model.encoder.layers.0.self_attn." + names[j];
      assertEquals(Nd4j.zeros(8, 8).addi(j + 1), got.parameters().get(p + ".weight"), p);
      assertEquals(Nd4j.zeros(8).addi(10 * (j + 1)), got.parameters().get(p + ".bias"), p);
    }
    // visual.proj [d, E] is used as x @ proj: HF's weight [E, d] is its transpose
    INDArray proj = oc.get("visual.proj");
    assertEquals(proj.getDouble(3, 5), got.parameters().get("visual_projection.weight").getDouble(5, 3), 0);
  }

  @Test
  void refusesOtherFilesNamingTheirKeys(@TempDir Path dir) {
    Path f = write(dir, "unet.safetensors", Map.of("conv_in.weight", Nd4j.zeros(2, 2), "time_embedding.w",
        Nd4j.zeros(2)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenClipCheckpoint.load(f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("not an open_clip")
        && e.getMessage().contains("conv_in.weight"), e.getMessage());
  }

  @Test
  void refusesAMisshapenTensorNamingKeyAndShapes(@TempDir Path dir) {
    Map<String, INDArray> oc = toOpenClip(randomHf(3).parameters().asMap(), "module.");
    oc.put("module.visual.proj", Nd4j.zeros(8, 5));
    Path f = write(dir, "c.safetensors", oc);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OpenClipCheckpoint.load(f, TINY, TinyClip.VOCAB.tokenizer(8)));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("\"module.visual.proj\" has shape "
        + "[8, 5], the config needs [8, 6]"), e.getMessage());
  }

  @Test
  void refusesTensorsTheConfigDoesNotUse(@TempDir Path dir) {
    Map<String, INDArray> oc = toOpenClip(randomHf(4).parameters().asMap(), "");
    oc.put("transformer.resblocks.0.ls_1.gamma", Nd4j.ones(8)); // layer scale
    Path f = write(dir, "c.safetensors", oc);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OpenClipCheckpoint.load(f, TINY, TinyClip.VOCAB.tokenizer(8)));
    assertTrue(e.getMessage().contains("unexpected \"transformer.resblocks.0.ls_1.gamma\""), e.getMessage());
  }

  @Test
  void refusesATokenizerThatDoesNotFit(@TempDir Path dir) {
    Path f = write(dir, "c.safetensors", toOpenClip(randomHf(5).parameters().asMap(), ""));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OpenClipCheckpoint.load(f, TINY, org.draft4j.text.ClipTokenizer.openAi(8)));
    assertTrue(e.getMessage().contains("tokenizer of 49408 tokens for a token embedding of "
        + TINY.vocabSize()), e.getMessage());
  }

  @Test
  void paddingAfterTheEndTokenDoesNotChangeTextFeatures(@TempDir Path dir) {
    ClipModel clip = OpenClipCheckpoint.load(write(dir, "c.safetensors", toOpenClip(randomHf(6).parameters().asMap(),
        "")), TINY, TinyClip.VOCAB.tokenizer(8));
    List<String> p = List.of("a");
    INDArray ids = ClipModel.tokenIds(clip.tokenizer(), p);
    INDArray eos = ClipModel.eosOneHot(clip.tokenizer(), p);
    INDArray zeroPadded = ids.dup();
    int at = eos.argMax(1).getInt(0);
    for (int j = at + 1; j < ids.size(1); j++) {
      zeroPadded.putScalar(0, j, 0); // open_clip pads with 0, draft4j's tokenizer with the end token
    }
    assertTrue(at + 1 < ids.size(1) && !zeroPadded.equals(ids), "the prompt must leave padding to change");
    INDArray a = ClipFeatures.text(clip, ids, eos);
    INDArray b = ClipFeatures.text(clip, zeroPadded, eos);
    assertEquals(0, a.sub(b).amaxNumber().doubleValue(), 1e-6);
  }
}
