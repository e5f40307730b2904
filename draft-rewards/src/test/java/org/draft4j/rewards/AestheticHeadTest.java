package org.draft4j.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LAION's improved aesthetic predictor MLP as its simple_inference.py defines it, saved with
 * {@code torch.save(model.state_dict())} (zip format; the legacy format is tested by the torch
 * reader), with PyTorch's scores of L2-normalized embeddings (interop/make_fixtures.py, make_aesthetic).
 */
class AestheticHeadTest {
  static INDArray scores(AestheticHead head, INDArray embeddings) {
    SameDiff sd = SameDiff.create();
    SDVariable e = sd.placeHolder("e", DataType.FLOAT, -1, head.inputDim());
    SDVariable y = head.forward(new GraphBuilder(sd, head.parameters(), List.of()), e);
    return sd.output(Map.of("e", embeddings.castTo(DataType.FLOAT)), y.name()).get(y.name());
  }

  @Test
  void pthMatchesPyTorch() {
    String file = "aesthetic/head.pth";
    Map<String, INDArray> ref;
    try (SafetensorsFile f = SafetensorsFile.open(InteropFixtures.require("aesthetic/reference.safetensors"))) {
      ref = f.readAll();
    }
    AestheticHead head = AestheticHead.load(InteropFixtures.require(file));
    assertEquals(ref.get("embeddings").size(1), head.inputDim());
    INDArray got = scores(head, ref.get("embeddings"));
    INDArray want = ref.get("scores").reshape(-1);
    double rel = got.castTo(DataType.DOUBLE).sub(want.castTo(DataType.DOUBLE)).amaxNumber().doubleValue()
        / want.amaxNumber().doubleValue();
    assertTrue(rel < 1e-5, file + ": got " + got + ", PyTorch " + want);
  }

  @Test
  void refusesAHeadOfAnotherInputSize() {
    Path f = InteropFixtures.require("aesthetic/head.pth");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AestheticHead.load(f, 768));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("takes 16-dimensional")
        && e.getMessage().contains("expected 768"), e.getMessage());
    AestheticHead head = AestheticHead.load(f);
    ClipModel clip = TinyClip.create(1); // projection_dim 6
    e = assertThrows(IllegalArgumentException.class, () -> Rewards.aesthetic(clip, head));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("16-dimensional")
        && e.getMessage().contains("projects to 6"), e.getMessage());
  }

  @Test
  void refusesAFileThatIsNotTheMlp() {
    Path f = InteropFixtures.require("open_clip/reference.safetensors");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AestheticHead.load(f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("no \"layers.0.weight\""),
        e.getMessage());
  }
}
