package org.draft4j.lora;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.testing.TinyModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class LoraAdapterTest {
  static UNet2DConditionModel unet;
  static INDArray x;
  static INDArray t;
  static INDArray ctx;
  @TempDir Path dir;

  @BeforeAll
  static void setUp() {
    unet = TinyModels.unet(3);
    Nd4j.getRandom().setSeed(1);
    x = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8);
    t = Nd4j.createFromArray(new float[] {100, 700});
    ctx = Nd4j.randn(DataType.FLOAT, 2, 4, 8);
  }

  private static INDArray base() {
    return new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared()).predict(x, t, ctx);
  }

  /** {@code spec}'s LoRA (seed 1) attached to {@code d}, its B matrices randomized with {@code seed}. */
  private static LoraAdapter attachRandomized(UNetDenoiser d, Lora spec, int seed) {
    LoraAdapter a = spec.create(1);
    d.attach(a);
    d.adaptedLayers();
    randomizeB(a, seed);
    return a;
  }

  private static void randomizeB(LoraAdapter a, long seed) {
    Nd4j.getRandom().setSeed(seed);
    a.upMatrices().values().forEach(b -> b.assign(Nd4j.randn(DataType.FLOAT, b.shape()).muli(0.3)));
  }

  @Test
  void zeroBLeavesOutputsUnchangedBitForBit() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = Lora.rank(2).alpha(4).create(1);
    d.attach(a);
    assertEquals(base(), d.predict(x, t, ctx));
  }

  @Test
  void targetsAttentionProjectionsOnlyAndOnlyLoraTrains() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    d.attach(Lora.rank(2).create(1));
    List<String> layers = d.adaptedLayers();
    // transformers: down 1 + mid 1 + up (layers_per_block + 1 = 2) = 4; × 2 attentions × 4 projections
    assertEquals(4 * 2 * 4, layers.size(), layers.toString());
    assertTrue(layers.contains("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"));
    assertTrue(layers.contains("mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0"));
    assertTrue(d.trainableParameters().keySet().stream().allMatch(k -> k.contains(".lora_")));
  }

  @Test
  void scaleInterpolatesTheDelta() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = attachRandomized(d, Lora.rank(2), 9);
    INDArray b0 = base();
    INDArray delta = d.predict(x, t, ctx).sub(b0);
    assertTrue(delta.norm2Number().doubleValue() > 1e-3, "delta too small to test");
    a.setScale(0.5);
    INDArray half = d.predict(x, t, ctx).sub(b0);
    // the UNet is nonlinear in the scale; at a single layer delta is exactly linear, so compare at s=0 and
    // check monotone shrinking toward the base output
    a.setScale(0);
    assertEquals(b0, d.predict(x, t, ctx));
    assertTrue(half.norm2Number().doubleValue() < delta.norm2Number().doubleValue());
    boolean was = d.setAdaptersEnabled(false);
    a.setScale(1);
    assertEquals(b0, d.predict(x, t, ctx), "adapters disabled = base model");
    d.setAdaptersEnabled(was);
  }

  @Test
  void saveLoadRoundTripsInBothLayouts() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = attachRandomized(d, Lora.rank(2).alpha(3), 4);
    INDArray want = d.predict(x, t, ctx);
    for (LoraFormat f : LoraFormat.values()) {
      Path p = dir.resolve(f + ".safetensors");
      a.save(p, f, java.util.Map.of("draft4j.base_model", "tiny"));
      try (SafetensorsFile sf = SafetensorsFile.open(p)) {
        assertEquals("2", sf.metadata().get("lora_rank"));
        assertEquals("tiny", sf.metadata().get("draft4j.base_model"));
        String q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
        assertTrue(sf.contains(f == LoraFormat.DIFFUSERS ? "unet." + q + ".lora_A.weight"
            : "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight"), sf.keys()
            .toString());
      }
      LoraAdapter back = LoraAdapter.load(p, "loaded");
      assertEquals(3.0, back.spec().alpha());
      UNetDenoiser d2 = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
      d2.attach(back);
      INDArray got = d2.predict(x, t, ctx);
      double diff = Transforms.abs(got.sub(want)).maxNumber().doubleValue();
      // diffusers files hold (α/r)·B: multiplying and dividing by 1.5 rounds B in its last bit
      assertTrue(diff < (f == LoraFormat.DIFFUSERS ? 1e-5 : 1e-6), f + " round trip: " + diff);
    }
  }

  /**
   * A consumer that reads no metadata (diffusers' and PEFT's loaders) applies W + B·A from a
   * diffusers-layout file; draft4j's adapter is W + (α/r)·B·A: the file's B must carry α/r.
   */
  @Test
  void aDiffusersFileAppliesAtTheTrainedStrengthWithoutMetadata() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = attachRandomized(d, Lora.rank(4).alpha(8), 5);
    Path p = dir.resolve("folded.safetensors");
    a.save(p, LoraFormat.DIFFUSERS, null);
    String q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
    try (SafetensorsFile sf = SafetensorsFile.open(p)) {
      INDArray fileA = sf.get("unet." + q + ".lora_A.weight");
      INDArray fileB = sf.get("unet." + q + ".lora_B.weight");
      INDArray consumerDelta = fileB.mmul(fileA); // what a metadata-blind loader adds to W
      INDArray draftDelta = a.upMatrices().get(q).mmul(a.downMatrices().get(q)).mul(8.0 / 4);
      assertTrue(consumerDelta.equalsWithEps(draftDelta, 1e-6), "delta applied by a consumer");
      assertEquals("4.0", sf.metadata().get("lora_alpha"), "alpha as stored = rank");
      assertEquals("8.0", sf.metadata().get(LoraAdapter.FOLDED_ALPHA));
    }
    LoraAdapter back = LoraAdapter.load(p, "back");
    assertEquals(8.0, back.spec().alpha());
    assertTrue(back.upMatrices().get(q).equalsWithEps(a.upMatrices().get(q), 1e-6), "B restored");
  }

  @Test
  void loadingAMismatchedAdapterNamesTheKey() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = Lora.rank(2).create(1);
    d.attach(a);
    d.adaptedLayers();
    Path p = dir.resolve("x.safetensors");
    a.save(p, LoraFormat.DIFFUSERS, null);
    UNet2DConditionModel other = UNet2DConditionModel.random(new org.draft4j.models.UNet2DConditionConfig(8, 3, 3,
        new int[] {16, 16}, 1, List.of("CrossAttnDownBlock2D", "DownBlock2D"), List.of("UpBlock2D",
        "CrossAttnUpBlock2D"), new int[] {2, 2}, 8, 4, 1e-5, true, 0), 1);
    UNetDenoiser d2 = new UNetDenoiser(other, 8, 8, 4, ExecutionContext.shared());
    d2.attach(LoraAdapter.load(p, "x"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, d2::adaptedLayers);
    assertTrue(e.getMessage().contains("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"), e.getMessage());
    assertNotEquals(null, e.getMessage());
  }

  /** Most kohya LoRAs also adapt the text encoder: strict load refuses, loadUnetPart keeps the UNet part. */
  @Test
  void textEncoderTensorsAreRefusedOrLeftOutOnRequest() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = attachRandomized(d, Lora.rank(2).alpha(3), 5);
    INDArray want = d.predict(x, t, ctx);
    Path p = dir.resolve("kohya.safetensors");
    a.save(p, LoraFormat.KOHYA, null);
    java.util.Map<String, INDArray> all = new java.util.LinkedHashMap<>();
    try (SafetensorsFile sf = SafetensorsFile.open(p)) {
      for (String k : sf.keys()) {
        all.put(k, sf.get(k).dup());
      }
    }
    String te = "lora_te_text_model_encoder_layers_0_self_attn_q_proj";
    all.put(te + ".lora_down.weight", Nd4j.ones(DataType.FLOAT, 2, 8));
    all.put(te + ".lora_up.weight", Nd4j.ones(DataType.FLOAT, 8, 2));
    all.put(te + ".alpha", Nd4j.scalar(3f));
    Path mixed = dir.resolve("kohya_with_te.safetensors");
    org.draft4j.io.Safetensors.write(mixed, all, java.util.Map.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraAdapter.load(mixed, "m"));
    assertTrue(e.getMessage().contains(te) && e.getMessage().contains("loadUnetPart"), e.getMessage());
    LoraAdapter unetPart = LoraAdapter.loadUnetPart(mixed, "m");
    assertEquals(3, unetPart.skippedTextEncoderKeys().size(), unetPart.skippedTextEncoderKeys().toString());
    assertEquals(3.0, unetPart.spec().alpha());
    UNetDenoiser d2 = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    d2.attach(unetPart);
    assertTrue(Transforms.abs(d2.predict(x, t, ctx).sub(want)).maxNumber().doubleValue() < 1e-6);
    // modules that disagree on alpha cannot be one adapter: refused, naming both keys
    String q = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha";
    all.put(q, Nd4j.scalar(1f));
    Path split = dir.resolve("kohya_split_alpha.safetensors");
    org.draft4j.io.Safetensors.write(split, all, java.util.Map.of());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> LoraAdapter.loadUnetPart(split, "s"));
    assertTrue(e2.getMessage().contains("alpha") && e2.getMessage().contains("to_q.alpha"), e2.getMessage());
  }

  @Test
  void anAdapterCreatedFromTheConfigAloneEqualsTheOneAGraphCreatesAndSaves() {
    LoraAdapter fromConfig = Lora.rank(2).alpha(4).create(1).initializeFor(unet.config());
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter built = Lora.rank(2).alpha(4).create(1);
    d.attach(built);
    d.adaptedLayers();
    assertEquals(built.downMatrices().keySet(), fromConfig.downMatrices().keySet());
    for (String m : built.downMatrices().keySet()) {
      assertEquals(built.downMatrices().get(m), fromConfig.downMatrices().get(m), m);
      assertEquals(built.upMatrices().get(m), fromConfig.upMatrices().get(m), m);
    }
    Path p = dir.resolve("before-any-model.safetensors");
    fromConfig.save(p, LoraFormat.DIFFUSERS, null); // failed before: "has no modules yet"
    assertEquals(fromConfig.downMatrices().keySet(), LoraAdapter.load(p, "back").downMatrices().keySet());
  }

  @Test
  void sd15AdapterKeysWithoutInitializingTheUnet() {
    org.draft4j.models.UNet2DConditionConfig sd15 = org.draft4j.models.UNet2DConditionConfig.fromJson(
        java.util.Map.of(), "SD 1.5 defaults");
    long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    LoraAdapter a = Lora.rank(4).create(0).initializeFor(sd15);
    // 16 transformer blocks (down 6, mid 1, up 9) x 2 attentions x 4 projections
    assertEquals(128, a.downMatrices().size());
    String q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
    assertEquals(List.of(4L, 320L), asList(a.downMatrices().get(q).shape()));
    assertEquals(List.of(320L, 4L), asList(a.upMatrices().get(q).shape()));
    String k = "mid_block.attentions.0.transformer_blocks.0.attn2.to_k";
    assertEquals(List.of(4L, 768L), asList(a.downMatrices().get(k).shape()));
    assertTrue(UNet2DConditionModel.layers(sd15, List.of()).size() > 250, "every linear and conv layer listed");
    assertEquals("unet." + q + ".lora_A.weight", LoraAdapter.key(LoraFormat.DIFFUSERS, q, true));
  }

  private static List<Long> asList(long[] v) {
    return java.util.Arrays.stream(v).boxed().toList();
  }

  @Test
  void matricesCanBeSetAndCopiedAndGraphsSeeThem() {
    UNetDenoiser d = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter a = Lora.rank(2).alpha(4).create(1);
    d.attach(a);
    INDArray before = d.predict(x, t, ctx);
    String q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
    INDArray up = Nd4j.rand(DataType.FLOAT, a.upMatrices().get(q).shape());
    INDArray down = Nd4j.rand(DataType.FLOAT, a.downMatrices().get(q).shape());
    a.setMatrices(q, down, up);
    assertEquals(down, a.downMatrices().get(q));
    assertEquals(up, a.upMatrices().get(q));
    assertNotEquals(before, d.predict(x, t, ctx), "the built graph sees the set matrices");
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> a.setMatrices(q, Nd4j.zeros(DataType.FLOAT, 3, 8), up));
    assertTrue(shape.getMessage().contains(q) && shape.getMessage().contains("[3, 8]"), shape.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> a.setMatrices("mid_block.nope", down, up));
    assertTrue(unknown.getMessage().contains("mid_block.nope"), unknown.getMessage());
    // a copy at another alpha adds the same delta
    randomizeB(a, 11);
    INDArray expected = d.predict(x, t, ctx);
    UNetDenoiser d2 = new UNetDenoiser(unet, 8, 8, 4, ExecutionContext.shared());
    LoraAdapter c = Lora.rank(2).alpha(1).create(7).initializeFor(unet.config());
    c.copyFrom(a);
    d2.attach(c);
    assertTrue(expected.equalsWithEps(d2.predict(x, t, ctx), 1e-5), "copy adds the same delta");
    assertThrows(IllegalArgumentException.class, () -> Lora.rank(3).create(1).copyFrom(a));
  }
}
