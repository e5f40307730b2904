package org.draft4j.testing;

import org.draft4j.engine.ExecutionContext;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.UNetDenoiser;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reference outputs of the {@code interop/fixtures/sd-tiny} pipeline, computed by diffusers
 * v0.25.1 and PyTorch 1.13 in float32 ({@code interop/make_fixtures.py}): UNet forward
 * ({@code unet_sample}, {@code unet_timestep}, {@code unet_context} → {@code unet_out}), VAE decode
 * ({@code vae_latents} → {@code vae_decoded}) and CLIP text encoder ({@code text_ids} →
 * {@code text_hidden}). Their float32-vs-float64 difference in PyTorch is below 1.3e-6 relative
 * ({@code interop/fixtures/precision.json}), so a faithful float32 port agrees to 1e-5.
 */
public final class SdTinyReference {
  /** Relative tolerance (max |got − want| / max |want|) of a float32 port. */
  public static final double TOLERANCE = 1e-5;
  private final Map<String, INDArray> t;

  private SdTinyReference(Map<String, INDArray> t) {
    this.t = t;
  }

  /** {@code sd-tiny/<name>} ({@code reference.safetensors}, {@code reference_fp16.safetensors}, …). */
  public static SdTinyReference load(String name) {
    Path p = InteropFixtures.require("sd-tiny/" + name);
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      return new SdTinyReference(f.readAll());
    }
  }

  /** A reference tensor. */
  public INDArray get(String key) {
    INDArray a = t.get(key);
    assertTrue(a != null, "reference has no " + key + " (it holds " + t.keySet() + ")");
    return a;
  }

  /** Whether the reference holds {@code key}. */
  public boolean has(String key) {
    return t.containsKey(key);
  }

  /** max |got − want| / max |want|. */
  public static double relativeError(INDArray got, INDArray want) {
    return Transforms.abs(got.castTo(DataType.DOUBLE).sub(want.castTo(DataType.DOUBLE))).maxNumber().doubleValue()
        / Transforms.abs(want.castTo(DataType.DOUBLE)).maxNumber().doubleValue();
  }

  /** Asserts {@code got} is within {@link #TOLERANCE} of reference {@code key}. */
  public void assertClose(String key, INDArray got, String what) {
    double e = relativeError(got, get(key));
    assertTrue(e <= TOLERANCE, what + " " + key + ": relative error " + e + " > " + TOLERANCE);
  }

  /** The UNet's output on the reference inputs. */
  public INDArray unetOut(UNet2DConditionModel unet) {
    INDArray sample = get("unet_sample");
    UNetDenoiser d = new UNetDenoiser(unet, (int) sample.size(2), (int) sample.size(3), 77, ExecutionContext.shared());
    return d.predict(sample, get("unet_timestep"), get("unet_context"));
  }

  /** The text encoder's last hidden state on the reference ids. */
  public INDArray textHidden(TextToImageModel model) {
    INDArray ids = get("text_ids");
    int[][] rows = new int[(int) ids.size(0)][(int) ids.size(1)];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < rows[i].length; j++) {
        rows[i][j] = ids.getInt(i, j);
      }
    }
    return model.textEncoder().encode(rows);
  }

  /** The last hidden state at each sequence's first end token, where transformers pools (eos_token_id != 2). */
  public INDArray textPooled(TextToImageModel model) {
    INDArray hidden = textHidden(model);
    INDArray ids = get("text_ids");
    INDArray pooled = org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, hidden.size(0), hidden.size(2));
    for (int b = 0; b < hidden.size(0); b++) {
      int eos = 0;
      while (ids.getInt(b, eos) != model.tokenizer().eosId()) {
        eos++;
      }
      pooled.putRow(b, hidden.get(org.nd4j.linalg.indexing.NDArrayIndex.point(b),
          org.nd4j.linalg.indexing.NDArrayIndex.point(eos), org.nd4j.linalg.indexing.NDArrayIndex.all()));
    }
    return pooled;
  }

  /** Checks a whole pipeline: UNet, VAE decode and text encoder (hidden states, pooled) against the reference. */
  public void assertPipeline(TextToImageModel model, String what) {
    assertClose("unet_out", unetOut(model.unet()), what);
    assertClose("vae_decoded", model.vae().decode(get("vae_latents")), what);
    assertClose("text_hidden", textHidden(model), what);
    assertClose("text_pooled", textPooled(model), what);
  }
}
