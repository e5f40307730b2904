package org.draft4j.models.ldm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Safetensors;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.nn.Parameters;
import org.draft4j.testing.InteropFixtures;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The interop fixture sd-tiny (interop/make_fixtures.py, diffusers 0.25.1): a tiny SD 1.x-structured
 * pipeline, its single-file forms written by diffusers' own conversion script, and the outputs
 * PyTorch computed. What shapes cannot tell about it: 4 GroupNorm groups, latent side 16, its own
 * 1000-token tokenizer.
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

  static Map<String, INDArray> reference(String name) {
    return Safetensors.read(file(name));
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

  /** max |got - want| ≤ tol · max |want|. */
  static void assertClose(INDArray want, INDArray got, double tol, String what) {
    assertArrayEquals(want.shape(), got.shape(), what);
    double err = Transforms.abs(got.sub(want)).maxNumber().doubleValue();
    double scale = Transforms.abs(want).maxNumber().doubleValue();
    assertTrue(scale > 0 && err <= tol * scale, what + ": max |got - want| = " + err + ", scale " + scale);
  }

  static INDArray unetOut(TextToImageModel m, Map<String, INDArray> ref) {
    UNetDenoiser d = new UNetDenoiser(m.unet(), 16, 16, 77);
    return d.predict(ref.get("unet_sample"), ref.get("unet_timestep"), ref.get("unet_context"));
  }

  /** Checks UNet, VAE and text encoder outputs of {@code m} against reference.safetensors (PyTorch, f32). */
  static void assertMatchesReference(TextToImageModel m) {
    Map<String, INDArray> ref = reference("reference.safetensors");
    assertClose(ref.get("unet_out"), unetOut(m, ref), 1e-5, "unet_out");
    assertClose(ref.get("vae_decoded"), m.vae().decode(ref.get("vae_latents")), 1e-5, "vae_decoded");
    INDArray idsF = ref.get("text_ids");
    int[][] ids = new int[(int) idsF.size(0)][(int) idsF.size(1)];
    for (int b = 0; b < ids.length; b++) {
      for (int t = 0; t < ids[b].length; t++) {
        ids[b][t] = idsF.getInt(b, t);
      }
    }
    INDArray hidden = m.textEncoder().encode(ids);
    assertClose(ref.get("text_hidden"), hidden, 1e-5, "text_hidden");
    // transformers pools at the first eos token (eos_token_id != 2)
    INDArray pooled = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, ids.length, hidden.size(2));
    for (int b = 0; b < ids.length; b++) {
      int eos = List.of(java.util.Arrays.stream(ids[b]).boxed().toArray(Integer[]::new)).indexOf(m.tokenizer().eosId());
      pooled.putRow(b, hidden.get(org.nd4j.linalg.indexing.NDArrayIndex.point(b),
          org.nd4j.linalg.indexing.NDArrayIndex.point(eos), org.nd4j.linalg.indexing.NDArrayIndex.all()));
    }
    assertClose(ref.get("text_pooled"), pooled, 1e-5, "text_pooled");
  }
}
