package org.draft4j.models.ldm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;
import org.draft4j.nn.Parameters;
import org.draft4j.testing.InteropFixtures;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The interop fixture sd-tiny (interop/make_fixtures.py, diffusers 0.25.1): a tiny SD 1.x-structured
 * pipeline and its single-file forms written by diffusers' own conversion script (the outputs PyTorch
 * computed are {@link org.draft4j.testing.SdTinyReference}'s). What shapes cannot tell about it: 4
 * GroupNorm groups, latent side 16, its own 1000-token tokenizer.
 */
final class SdTiny {
  private SdTiny() {}

  static Path file(String name) {
    return InteropFixtures.require("sd-tiny/" + name);
  }

  /** The options the tiny fixture needs (its norm groups, sample size and tokenizer). */
  static SingleFileOptions.Builder options() {
    return SingleFileOptions.builder().unetNormGroups(4).vaeNormGroups(4).sampleSize(16)
        .tokenizerFolder(file("diffusers/tokenizer"));
  }

  static TextToImageModel diffusers() {
    return TextToImageModel.load(ModelFolder.of(file("diffusers")), "sd-tiny");
  }

  /** Same keys, and each array bit for bit. */
  static void assertSameWeights(Parameters want, Parameters got) {
    assertEquals(want.asMap().keySet(), got.asMap().keySet(), got.source());
    want.asMap().forEach((k, a) -> {
      INDArray b = got.get(k);
      assertArrayEquals(a.shape(), b.shape(), k);
      assertArrayEquals(Nd4j.toFlattened('c', a).toFloatVector(), Nd4j.toFlattened('c', b).toFloatVector(), 0f, k);
    });
  }
}
