package org.draft4j.models.ldm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.draft4j.io.TensorStore;
import org.draft4j.models.TextToImageModel;
import org.draft4j.testing.SdTinyReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sd-tiny checkpoint as {@code .ckpt} files ({@code torch.save({"state_dict": …})}, written by
 * diffusers' conversion script and re-saved by PyTorch 1.13): the zip format, and a file with a
 * second UNet's weights as LDM's LitEma names them ({@code model_ema.*}), whose outputs PyTorch
 * computed in reference_ema.safetensors. (The legacy torch.save format is read by the same
 * {@code TorchFile} and tested on its own files, {@code TorchFileTest}.)
 */
class StableDiffusionCkptTest {
  static TextToImageModel folder;

  @BeforeAll
  static void load() {
    folder = SdTiny.diffusers();
  }

  private static TextToImageModel load(String file, EmaWeights ema) {
    return StableDiffusionCheckpoint.load(SdTiny.file(file), SdTiny.options().ema(ema).build());
  }

  private static void assertSameAsFolder(TextToImageModel m) {
    SdTiny.assertSameWeights(folder.unet().parameters(), m.unet().parameters());
    SdTiny.assertSameWeights(folder.vae().parameters(), m.vae().parameters());
    SdTiny.assertSameWeights(folder.textEncoder().parameters(), m.textEncoder().parameters());
  }

  @Test
  void zipCheckpointLoadsAsTheFolderAndComputesPyTorchsOutputs() {
    TextToImageModel m = load("ldm.ckpt", EmaWeights.IGNORE);
    assertSameAsFolder(m);
    SdTinyReference.load("reference.safetensors").assertPipeline(m, "ldm.ckpt");
  }

  @Test
  void emaCheckpointGivesTheEmaUNetWhenAskedAndTheTrainedOneByDefault() {
    Path f = SdTiny.file("ldm-ema.ckpt");
    try (TensorStore s = TensorStore.open(f)) {
      assertTrue(StableDiffusionCheckpoint.isLdmCheckpoint(s) && StableDiffusionCheckpoint.hasEma(s));
    }
    assertSameAsFolder(StableDiffusionCheckpoint.load(f, SdTiny.options().build()));
    SdTinyReference ref = SdTinyReference.load("reference_ema.safetensors");
    SdTinyReference base = SdTinyReference.load("reference.safetensors");
    assertTrue(ref.get("unet_out").sub(base.get("unet_out")).amaxNumber().doubleValue() > 1e-3,
        "the EMA UNet computes something else than the trained one");
    for (EmaWeights e : new EmaWeights[] {EmaWeights.USE, EmaWeights.AUTO}) {
      TextToImageModel m = load("ldm-ema.ckpt", e);
      ref.assertClose("unet_out", ref.unetOut(m.unet()), "EMA UNet with " + e);
      SdTiny.assertSameWeights(folder.vae().parameters(), m.vae().parameters());
    }
    TextToImageModel plain = load("ldm-ema.ckpt", EmaWeights.IGNORE);
    base.assertClose("unet_out", base.unetOut(plain.unet()), "non-EMA UNet");
  }
}
