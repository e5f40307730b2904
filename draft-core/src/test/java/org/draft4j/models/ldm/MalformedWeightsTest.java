package org.draft4j.models.ldm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsException;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies of the sd-tiny fixture with one tensor corrupted (a wrong shape, a NaN, an infinity): each
 * is refused with one error naming the file that holds the tensor and its key.
 */
class MalformedWeightsTest {
  @TempDir Path dir;

  private Path copy(String fixture) throws IOException {
    Path src = InteropFixtures.require(fixture);
    Path out = dir.resolve(src.getFileName().toString());
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.toList()) {
        Path to = out.resolve(src.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    return out;
  }

  /** Rewrites {@code file} with {@code key} replaced by {@code change} of it. */
  private static void corrupt(Path file, String key, UnaryOperator<INDArray> change) {
    Map<String, INDArray> t = new java.util.TreeMap<>(Safetensors.read(file));
    assertTrue(t.containsKey(key), key + " in " + file);
    t.put(key, change.apply(t.get(key).dup()));
    Safetensors.write(file, t, Map.of("format", "pt"));
  }

  private static INDArray withElement(INDArray a, float v) {
    a.putScalar(a.length() / 2, v);
    return a;
  }

  private static String loadFails(Path folder) {
    return assertThrows(RuntimeException.class, () -> TextToImageModel.load(ModelFolder.of(folder), "x"))
        .getMessage();
  }

  @Test
  void aUnetTensorOfTheWrongShapeIsNamed() throws IOException {
    Path m = copy("sd-tiny/diffusers");
    Path f = m.resolve("unet/diffusion_pytorch_model.safetensors");
    corrupt(f, "conv_in.weight", a -> a.reshape(a.length()));
    String msg = loadFails(m);
    assertTrue(msg.contains(f.toString()) && msg.contains("\"conv_in.weight\"") && msg.contains("shape"), msg);
  }

  @Test
  void aNanInTheUnetIsNamed() throws IOException {
    Path m = copy("sd-tiny/diffusers");
    Path f = m.resolve("unet/diffusion_pytorch_model.safetensors");
    corrupt(f, "conv_in.weight", a -> withElement(a, Float.NaN));
    String msg = assertThrows(SafetensorsException.class, () -> TextToImageModel.load(ModelFolder.of(m), "x"))
        .getMessage();
    assertTrue(msg.startsWith(f + ": tensor \"conv_in.weight\""), msg);
    assertTrue(msg.contains("1 NaN and 0 infinite"), msg);
  }

  @Test
  void anInfinityInAShardNamesTheShard() throws IOException {
    Path m = copy("sd-tiny/sharded");
    Path shard = m.resolve("text_encoder/model-00002-of-00004.safetensors");
    String key = "text_model.embeddings.position_embedding.weight";
    corrupt(shard, key, a -> withElement(a, Float.NEGATIVE_INFINITY));
    String msg = loadFails(m);
    assertTrue(msg.startsWith(shard + ": tensor \"" + key + "\""), msg);
    assertTrue(msg.contains("0 NaN and 1 infinite"), msg);
  }

  @Test
  void aNanInASingleFileCheckpointIsNamed() throws IOException {
    Path f = dir.resolve("ldm.safetensors");
    Files.copy(SdTiny.file("ldm.safetensors"), f);
    String key = "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight";
    corrupt(f, key, a -> withElement(a, Float.POSITIVE_INFINITY));
    String msg = assertThrows(SafetensorsException.class,
        () -> StableDiffusionCheckpoint.load(f, SdTiny.options().build())).getMessage();
    assertTrue(msg.startsWith(f + ": tensor \"" + key + "\""), msg);
    assertEquals(1, msg.split("infinite", -1).length - 1, msg);
  }
}
