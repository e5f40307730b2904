package org.draft4j.models.ldm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.AutoencoderKLConfig;
import org.draft4j.models.TextToImageModel;
import org.draft4j.testing.SdTinyReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Single-file SD 1.x checkpoints against diffusers: the file diffusers' own
 * convert_diffusers_to_original_stable_diffusion.py made of the sd-tiny folder loads into the same
 * weights as the folder (key for key, bit for bit) and computes PyTorch's outputs; export writes
 * that file again; other models and broken files are refused naming file, key and shapes.
 */
class StableDiffusionCheckpointTest {
  @TempDir Path dir;

  static TextToImageModel folder;
  static TextToImageModel single;

  @BeforeAll
  static void load() {
    folder = SdTiny.diffusers();
    single = StableDiffusionCheckpoint.load(SdTiny.file("ldm.safetensors"), SdTiny.options().build());
  }

  @Test
  void loadsTheSameWeightsAndConfigsAsTheDiffusersFolder() {
    SdTiny.assertSameWeights(folder.unet().parameters(), single.unet().parameters());
    SdTiny.assertSameWeights(folder.vae().parameters(), single.vae().parameters());
    SdTiny.assertSameWeights(folder.textEncoder().parameters(), single.textEncoder().parameters());
    assertEquals(folder.unet().config(), single.unet().config());
    assertEquals(folder.textEncoder().config(), single.textEncoder().config());
    AutoencoderKLConfig want = folder.vae().config();
    AutoencoderKLConfig got = single.vae().config();
    // the fixture's vae sample_size (64) is not its UNet's 16 × 8; the loader gives the consistent 128
    assertEquals(new AutoencoderKLConfig(want.inChannels(), want.outChannels(), want.blockOutChannels(),
        want.layersPerBlock(), want.latentChannels(), want.normNumGroups(), 128, want.scalingFactor()).toJson(),
        got.toJson());
    assertEquals(folder.tokenizer().vocabSize(), single.tokenizer().vocabSize());
    assertEquals("ldm", single.id());
    Map<String, Object> sched = single.schedulerConfig().orElseThrow();
    for (String k : new String[] {"beta_start", "beta_end", "beta_schedule", "num_train_timesteps", "steps_offset",
        "clip_sample", "set_alpha_to_one", "prediction_type", "timestep_spacing"}) {
      assertEquals(org.draft4j.io.Json.write(folder.schedulerConfig().orElseThrow().get(k)),
          org.draft4j.io.Json.write(sched.get(k)), k);
    }
  }

  @Test
  void computesPyTorchsOutputs() {
    SdTinyReference.load("reference.safetensors").assertPipeline(single, "ldm.safetensors");
  }

  @Test
  void recognisesSingleFileCheckpoints() {
    assertTrue(StableDiffusionCheckpoint.isLdmCheckpoint(SdTiny.file("ldm.safetensors")));
    assertFalse(StableDiffusionCheckpoint.isLdmCheckpoint(SdTiny.file("diffusers/unet/diffusion_pytorch_model"
        + ".safetensors")));
    try (SafetensorsFile f = SafetensorsFile.open(SdTiny.file("ldm.safetensors"))) {
      assertFalse(StableDiffusionCheckpoint.hasEma(f));
    }
  }

  @Test
  void exportWritesWhatDiffusersScriptWrites() throws Exception {
    Path out = dir.resolve("out.safetensors");
    StableDiffusionCheckpoint.write(folder, out);
    try (SafetensorsFile want = SafetensorsFile.open(SdTiny.file("ldm.safetensors"));
        SafetensorsFile got = SafetensorsFile.open(out)) {
      assertEquals(new java.util.TreeSet<>(want.keys()), new java.util.TreeSet<>(got.keys()));
      for (String k : want.keys()) {
        assertArrayEquals(want.shape(k), got.shape(k), k);
        assertArrayEquals(Nd4j.toFlattened(want.get(k)).toFloatVector(), Nd4j.toFlattened(got.get(k)).toFloatVector(),
            0f, k);
      }
    }
    TextToImageModel back = StableDiffusionCheckpoint.load(out, SdTiny.options().build());
    SdTiny.assertSameWeights(single.unet().parameters(), back.unet().parameters());
    SdTiny.assertSameWeights(single.vae().parameters(), back.vae().parameters());
    SdTiny.assertSameWeights(single.textEncoder().parameters(), back.textEncoder().parameters());
    SdTinyReference ref = SdTinyReference.load("reference.safetensors");
    assertEquals(ref.unetOut(single.unet()), ref.unetOut(back.unet()));
    assertEquals("out", back.id());
  }

  @Test
  void refusesAPixelSpaceModelOnExport() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StableDiffusionCheckpoint.write(org.draft4j.testing.TinyModels.model(1), dir.resolve("x.safetensors")));
    assertTrue(e.getMessage().contains("pixel space"), e.getMessage());
  }

  @Test
  void readsTheOldTransformersTextLayoutWithoutTextModel() {
    Path f = edited("legacy.safetensors", m -> {
      for (String k : new java.util.ArrayList<>(m.keySet())) {
        if (k.startsWith("cond_stage_model.transformer.text_model.")) {
          m.put(k.replace(".text_model.", "."), m.remove(k));
        }
      }
      m.put("cond_stage_model.transformer.embeddings.position_ids", Nd4j.arange(77).reshape(1, 77));
    });
    TextToImageModel m = StableDiffusionCheckpoint.load(f, SdTiny.options().build());
    SdTiny.assertSameWeights(folder.textEncoder().parameters(), m.textEncoder().parameters());
  }

  @Test
  void emaWeightsAreUsedAsChosen() {
    Path ema = edited("ema.safetensors", m -> {
      m.put("model_ema.decay", Nd4j.scalar(0.9999f));
      m.put("model_ema.num_updates", Nd4j.scalar(12345f));
      for (String k : new java.util.ArrayList<>(m.keySet())) {
        if (k.startsWith(LdmUnetKeys.PREFIX)) {
          m.put(LdmUnetKeys.emaKey(k), m.get(k).mul(0.5));
        }
      }
    });
    Map<String, INDArray> half = new LinkedHashMap<>();
    folder.unet().parameters().asMap().forEach((k, v) -> half.put(k, v.mul(0.5)));
    org.draft4j.nn.Parameters halfParams = org.draft4j.nn.Parameters.of(half, "half");

    SdTiny.assertSameWeights(folder.unet().parameters(), load(ema, null).unet().parameters());
    SdTiny.assertSameWeights(folder.unet().parameters(), load(ema, EmaWeights.IGNORE).unet().parameters());
    SdTiny.assertSameWeights(halfParams, load(ema, EmaWeights.USE).unet().parameters());
    SdTiny.assertSameWeights(halfParams, load(ema, EmaWeights.AUTO).unet().parameters());
    Path plain = SdTiny.file("ldm.safetensors");
    SdTiny.assertSameWeights(folder.unet().parameters(), load(plain, EmaWeights.AUTO).unet().parameters());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(plain, EmaWeights.USE));
    assertTrue(e.getMessage().contains("ldm.safetensors") && e.getMessage().contains("0 model_ema* keys"),
        e.getMessage());

    String gone = LdmUnetKeys.emaKey(LdmUnetKeys.PREFIX + "out.2.weight");
    Path partial = edited("ema-partial.safetensors", m -> {
      m.putAll(Safetensors.read(ema));
      m.remove(gone);
    });
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> load(partial, EmaWeights.USE));
    assertTrue(e2.getMessage().contains("ema-partial.safetensors: missing key \"" + gone + "\"")
        && e2.getMessage().contains("conv_out.weight") && e2.getMessage().contains("[4, 8, 3, 3]"), e2.getMessage());
  }

  private static TextToImageModel load(Path f, EmaWeights ema) {
    SingleFileOptions.Builder b = SdTiny.options();
    if (ema != null) {
      b.ema(ema);
    }
    return StableDiffusionCheckpoint.load(f, b.build());
  }

  @Test
  void theBundledTokenizerIsRefusedForATextEncoderOfAnotherVocabulary() {
    SingleFileOptions o = SingleFileOptions.builder().unetNormGroups(4).vaeNormGroups(4).sampleSize(16).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StableDiffusionCheckpoint.load(SdTiny.file("ldm.safetensors"), o));
    assertTrue(e.getMessage().contains("ldm.safetensors: the tokenizer has 49408 tokens")
        && e.getMessage().contains("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight")
        && e.getMessage().contains("1000 rows (shape [1000, 64])"), e.getMessage());
    // given as an object it is checked the same way
    SingleFileOptions o2 = SingleFileOptions.builder().unetNormGroups(4).vaeNormGroups(4).sampleSize(16)
        .tokenizer(folder.tokenizer()).scalingFactor(0.13025).build();
    TextToImageModel m = StableDiffusionCheckpoint.load(SdTiny.file("ldm.safetensors"), o2);
    assertEquals(1000, m.tokenizer().vocabSize());
    assertEquals(0.13025, m.vae().config().scalingFactor(), "what shapes cannot tell comes from the options");
  }

  @Test
  void sd1DefaultsThatDoNotFitTheShapesAreRefusedNamingTheOption() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StableDiffusionCheckpoint.load(SdTiny.file("ldm.safetensors")));
    assertTrue(e.getMessage().contains("ldm.safetensors: the UNet's shapes give no valid config")
        && e.getMessage().contains("norm_num_groups = 32") && e.getMessage().contains("SingleFileOptions"),
        e.getMessage());
  }

  @Test
  void optionsRefuseAFieldSetTwiceAndExclusiveTokenizers() {
    assertThrows(IllegalStateException.class, () -> SingleFileOptions.builder().ema(EmaWeights.USE).ema(EmaWeights.AUTO));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> SingleFileOptions.builder().tokenizer(folder.tokenizer()).tokenizerFolder(dir).build());
    assertTrue(e.getMessage().contains("exclusive"), e.getMessage());
    IllegalStateException e2 = assertThrows(IllegalStateException.class,
        () -> SingleFileOptions.builder().unetHeads(0).build());
    assertTrue(e2.getMessage().contains("unetHeads = 0"), e2.getMessage());
    SingleFileOptions d = SingleFileOptions.defaults();
    assertEquals(EmaWeights.IGNORE, d.ema());
    assertEquals(32, d.unetNormGroups());
    assertEquals(8, d.unetHeads());
    assertEquals(64, d.sampleSize());
    assertEquals(0.18215, d.scalingFactor());
    assertTrue(d.textHeads().isEmpty() && d.tokenizer().isEmpty());
  }

  // ------------------------------------------------------------------------------------ refusals

  private Path edited(String name, Consumer<Map<String, INDArray>> edit) {
    Map<String, INDArray> m = new LinkedHashMap<>(Safetensors.read(SdTiny.file("ldm.safetensors")));
    edit.accept(m);
    Path p = dir.resolve(name);
    Safetensors.write(p, m, Map.of());
    return p;
  }

  private void assertRefused(Path f, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StableDiffusionCheckpoint.load(f, SdTiny.options().build()));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "\"" + p + "\" not in: " + e.getMessage());
    }
  }

  @Test
  void refusesSd2FromItsContextWidthOrOpenClipKeys() {
    String toK = LdmUnetKeys.PREFIX + "middle_block.1.transformer_blocks.0.attn2.to_k.weight";
    assertRefused(edited("sd2-context.safetensors", m -> m.put(toK, Nd4j.zeros(8, 1024))), "looks like SD 2.x",
        toK, "[8, 1024]");
    assertRefused(edited("sd2-openclip.safetensors", m -> m.put("cond_stage_model.model.positional_embedding",
        Nd4j.zeros(77, 64))), "looks like SD 2.x", "cond_stage_model.model.positional_embedding", "open_clip");
    String projIn = LdmUnetKeys.PREFIX + "middle_block.1.proj_in.weight";
    assertRefused(edited("sd2-linear.safetensors", m -> m.put(projIn, Nd4j.zeros(8, 8))), "looks like SD 2.x", projIn,
        "[8, 8]");
  }

  @Test
  void refusesSdxl() {
    String te = "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight";
    assertRefused(edited("sdxl.safetensors", m -> m.put(te, Nd4j.zeros(10, 4))), "looks like SDXL", te);
    String label = LdmUnetKeys.PREFIX + "label_emb.0.0.weight";
    assertRefused(edited("sdxl-label.safetensors", m -> m.put(label, Nd4j.zeros(32, 16))), "looks like SDXL", label);
    String toK = LdmUnetKeys.PREFIX + "middle_block.1.transformer_blocks.0.attn2.to_k.weight";
    assertRefused(edited("sdxl-context.safetensors", m -> m.put(toK, Nd4j.zeros(8, 2048))), "looks like SDXL", toK,
        "[8, 2048]");
  }

  @Test
  void refusesInpaintingAndInstructPix2Pix() {
    String convIn = LdmUnetKeys.PREFIX + "input_blocks.0.0.weight";
    assertRefused(edited("inpaint.safetensors", m -> m.put(convIn, Nd4j.zeros(8, 9, 3, 3))), "inpainting", convIn,
        "[8, 9, 3, 3]");
    assertRefused(edited("ip2p.safetensors", m -> m.put(convIn, Nd4j.zeros(8, 8, 3, 3))), "instruct-pix2pix", convIn,
        "[8, 8, 3, 3]");
  }

  @Test
  void refusesAFileThatIsNoStableDiffusionCheckpoint() {
    Path unet = SdTiny.file("diffusers/unet/diffusion_pytorch_model.safetensors");
    assertRefused(unet, "is not a Stable Diffusion checkpoint", "no model.diffusion_model.* keys", "e.g. \"",
        "one component of a diffusers folder");
    Path other = dir.resolve("other.safetensors");
    Safetensors.write(other, Map.of("w", Nd4j.zeros(2), "b", Nd4j.zeros(3)), Map.of());
    assertRefused(other, "is not a Stable Diffusion checkpoint", "2 keys", "\"b\"");
  }

  @Test
  void refusesAMissingKeyNamingItsShape() {
    String k = LdmUnetKeys.PREFIX + "input_blocks.1.0.in_layers.2.bias";
    assertRefused(edited("missing.safetensors", m -> m.remove(k)), "missing key \"" + k + "\"",
        "down_blocks.0.resnets.0.conv1.bias", "expected shape [8]");
    String t = "cond_stage_model.transformer.text_model.encoder.layers.1.mlp.fc2.weight";
    assertRefused(edited("missing-text.safetensors", m -> m.remove(t)), "missing key \"" + t + "\"",
        "expected shape [64, 128]");
    assertRefused(edited("no-vae.safetensors", m -> m.keySet().removeIf(x -> x.startsWith("first_stage_model."))),
        "no VAE", "first_stage_model.");
  }

  @Test
  void refusesAWrongShapeNamingBoth() {
    String q = "first_stage_model.decoder.mid.attn_1.q.weight";
    assertRefused(edited("shape.safetensors", m -> m.put(q, Nd4j.zeros(16, 16))), "key \"" + q + "\" has shape [16,"
        + " 16], expected [16, 16, 1, 1]", "decoder.mid_block.attentions.0.to_q.weight");
    String n = LdmUnetKeys.PREFIX + "middle_block.0.in_layers.0.weight";
    assertRefused(edited("shape2.safetensors", m -> m.put(n, Nd4j.zeros(9))), "key \"" + n + "\" has shape [9],"
        + " expected [8]");
  }

  @Test
  void refusesAnUnexpectedKey() {
    String k = LdmUnetKeys.PREFIX + "input_blocks.1.0.extra.weight";
    assertRefused(edited("extra.safetensors", m -> m.put(k, Nd4j.zeros(3))), "unexpected key \"" + k + "\"",
        "shape [3]");
  }
}
