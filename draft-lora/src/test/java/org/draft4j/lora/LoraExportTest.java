package org.draft4j.lora;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.models.ldm.SingleFileOptions;
import org.draft4j.models.ldm.StableDiffusionCheckpoint;
import org.draft4j.nn.Parameters;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A LoRA merged into a copy of the sd-tiny model (interop fixture: SD 1.x structure) computes what
 * the base computes with the adapter attached at that scale, leaves base and adapter as they were,
 * and survives both exports: a diffusers folder and a single-file LDM checkpoint.
 */
class LoraExportTest {
  @TempDir Path dir;

  static final double SCALE = 0.7;

  static INDArray predict(TextToImageModel m, LoraAdapter attached, INDArray x, INDArray t, INDArray c) {
    UNetDenoiser d = new UNetDenoiser(m.unet(), 16, 16, 77, ExecutionContext.shared());
    if (attached != null) {
      d.attach(attached);
    }
    return d.predict(x, t, c);
  }

  static Map<String, float[]> snapshot(Parameters p) {
    Map<String, float[]> m = new LinkedHashMap<>();
    p.asMap().forEach((k, v) -> m.put(k, Nd4j.toFlattened('c', v).toFloatVector()));
    return m;
  }

  static void assertSame(Parameters want, Parameters got) {
    assertEquals(want.asMap().keySet(), got.asMap().keySet());
    Map<String, float[]> w = snapshot(want);
    snapshot(got).forEach((k, v) -> assertArrayEquals(w.get(k), v, 0f, k));
  }

  @Test
  void mergedCopyEqualsTheAttachedAdapterAndExportsBothWays() throws Exception {
    TextToImageModel base = TextToImageModel.load(ModelFolder.of(InteropFixtures.require("sd-tiny/diffusers")),
        "sd-tiny");
    LoraAdapter lora = Lora.rank(2).alpha(4).create(3).initializeFor(base.unet().config());
    Nd4j.getRandom().setSeed(11);
    for (String m : List.copyOf(lora.downMatrices().keySet())) {
      lora.setMatrices(m, Nd4j.randn(DataType.FLOAT, lora.downMatrices().get(m).shape()).muli(0.3),
          Nd4j.randn(DataType.FLOAT, lora.upMatrices().get(m).shape()).muli(0.3));
    }
    Map<String, float[]> before = snapshot(base.unet().parameters());

    TextToImageModel merged = LoraExport.merged(base, lora, SCALE);

    snapshot(base.unet().parameters()).forEach((k, v) -> assertArrayEquals(before.get(k), v, 0f, "base " + k));
    assertFalse(lora.isMerged());
    assertEquals(1.0, lora.scale());
    assertEquals("sd-tiny+" + lora.name(), merged.id());
    assertTrue(merged.vae() == base.vae() && merged.textEncoder() == base.textEncoder());

    INDArray x = Nd4j.randn(DataType.FLOAT, 2, 4, 16, 16);
    INDArray t = Nd4j.createFromArray(900f, 120f);
    INDArray c = Nd4j.randn(DataType.FLOAT, 2, 77, 64);
    INDArray plain = predict(base, null, x, t, c);
    lora.setScale(SCALE);
    INDArray adapted = predict(base, lora, x, t, c);
    INDArray mergedOut = predict(merged, null, x, t, c);
    double scale = Transforms.abs(adapted).maxNumber().doubleValue();
    assertTrue(Transforms.abs(adapted.sub(plain)).maxNumber().doubleValue() > 1e-2 * scale,
        "the adapter changes the output");
    double err = Transforms.abs(mergedOut.sub(adapted)).maxNumber().doubleValue();
    assertTrue(err <= 1e-5 * scale, "merged vs attached at scale " + SCALE + ": " + err + " of " + scale);

    // diffusers folder
    Path folder = dir.resolve("merged");
    merged.save(folder);
    TextToImageModel fromFolder = TextToImageModel.load(ModelFolder.of(folder), "back");
    assertSame(merged.unet().parameters(), fromFolder.unet().parameters());
    assertEquals(merged.tokenizer().vocabSize(), fromFolder.tokenizer().vocabSize());
    assertArrayEquals(merged.tokenizer().encodePadded("a photo of a cat"),
        fromFolder.tokenizer().encodePadded("a photo of a cat"));
    assertArrayEquals(Nd4j.toFlattened(mergedOut).toFloatVector(),
        Nd4j.toFlattened(predict(fromFolder, null, x, t, c)).toFloatVector(), 0f);

    // single-file SD checkpoint
    Path file = dir.resolve("merged.safetensors");
    StableDiffusionCheckpoint.write(merged, file);
    TextToImageModel fromFile = StableDiffusionCheckpoint.load(file, SingleFileOptions.builder().unetNormGroups(4)
        .vaeNormGroups(4).sampleSize(16).tokenizer(merged.tokenizer()).build());
    assertSame(merged.unet().parameters(), fromFile.unet().parameters());
    assertSame(merged.vae().parameters(), fromFile.vae().parameters());
    assertSame(merged.textEncoder().parameters(), fromFile.textEncoder().parameters());
    INDArray fileOut = predict(fromFile, null, x, t, c);
    assertArrayEquals(Nd4j.toFlattened(mergedOut).toFloatVector(), Nd4j.toFlattened(fileOut).toFloatVector(), 0f);
  }

  @Test
  void refusesAnAdapterMergedElsewhereOrWithoutModules() {
    TextToImageModel base = org.draft4j.testing.TinyModels.model(1);
    LoraAdapter empty = Lora.rank(2).create(1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoraExport.merged(base, empty, 1.0));
    assertTrue(e.getMessage().contains("has no modules yet"), e.getMessage());
    LoraAdapter a = Lora.rank(2).create(1).initializeFor(base.unet().config());
    a.merge(base.unet().parameters());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> LoraExport.merged(base, a, 1.0));
    assertTrue(e2.getMessage().contains("is merged"), e2.getMessage());
    a.unmerge(base.unet().parameters());
  }
}
