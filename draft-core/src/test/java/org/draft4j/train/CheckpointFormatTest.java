package org.draft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.optim.AdamW;
import org.draft4j.optim.OptimizerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A checkpoint written before the configuration was typed (the fixture {@code checkpoint-0.1}: two
 * parameters after one AdamW step, lr 0.01, from [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]] and [-1, 2],
 * saved as step 5 by the version whose configuration held maps) still resumes, and its provenance
 * still reads.
 */
class CheckpointFormatTest {
  @TempDir Path dir;

  /** The configuration the fixture was written with, as the components' config() maps give it. */
  static TrainingConfig fixtureConfig(int k) {
    return TrainingConfig.of("tiny-1", Json.parseObject("{\"sampler\":\"toy\",\"steps\":3,\"scale\":2.0}"), "contrast",
        "graph-0123", Json.parseObject("{\"adapter\":\"toy\",\"rank\":2}"),
        Map.of("objective", "draft_k", "k", k), Json.parseObject("{\"optimizer\":\"AdamW\",\"lr\":0.01,\"beta1\":0.9,"
            + "\"beta2\":0.999,\"eps\":1.0E-8,\"weight_decay\":0.0,\"clip_norm\":null,"
            + "\"schedule\":{\"schedule\":\"constant\"}}"), 2, 2, 3);
  }

  private Path fixture() throws Exception {
    Path ck = dir.resolve("ck");
    Files.createDirectories(ck);
    Files.copy(Path.of(getClass().getResource("checkpoint-0.1/checkpoint.safetensors").toURI()),
        ck.resolve(Checkpoints.FILE));
    return ck;
  }

  private static Map<String, INDArray> zeroParameters() {
    Map<String, INDArray> p = new LinkedHashMap<>();
    p.put("lora.a", Nd4j.zeros(2, 3));
    p.put("lora.b", Nd4j.zeros(2));
    return p;
  }

  @Test
  void anOlderCheckpointResumesWithTheTypedConfiguration() throws Exception {
    Path ck = fixture();
    Map<String, INDArray> params = zeroParameters();
    OptimizerState state = AdamW.lr(1e-2).init(params);
    assertEquals(5, Checkpointing.in(ck, 1).resume(params, state, fixtureConfig(2)));
    assertEquals(1, state.step());
    float[] a = MicroBatchTest.floats(params.get("lora.a"));
    assertArrayEquals(new float[] {0.09f, 0.21f, 0.29f, 0.4f, 0.49f, 0.61f}, a, 1e-6f);
    assertArrayEquals(new float[] {-1.01f, 2.01f}, MicroBatchTest.floats(params.get("lora.b")), 1e-6f);
    try (SafetensorsFile f = SafetensorsFile.openVerified(ck.resolve(Checkpoints.FILE))) {
      assertEquals(f.get("opt/v/lora.a"), state.slots().get("v/lora.a"));
      Provenance p = Provenance.fromMetadata(f.metadata());
      assertEquals(5, p.steps());
      assertNull(p.trainingConfig().differenceFrom(fixtureConfig(2)));
      assertEquals(f.metadata().get("config"), Json.write(p.trainingConfig())); // the same text, written again
    }
  }

  @Test
  void anOlderCheckpointOfAnotherConfigurationIsRefusedNamingTheField() throws Exception {
    Path ck = fixture();
    Map<String, INDArray> params = zeroParameters();
    OptimizerState state = AdamW.lr(1e-2).init(params);
    CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
        () -> Checkpointing.in(ck, 1).resume(params, state, fixtureConfig(1)));
    assertEquals("objective.k", e.field());
    assertEquals(0f, params.get("lora.a").sumNumber().floatValue()); // nothing restored
  }
}
