package org.draft4j.examples.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.draft4j.models.TextToImageModel;
import org.draft4j.samplers.Ddim;
import org.draft4j.shapesworld.ShapesOracle;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Renders redrawn by the shipped model keep their scenes: captions, layout and (from a late step) labels. */
class SdeditPoolTest {
  @TempDir Path dir;

  @Test
  void redrawnRendersKeepTheirCaptionsAndAreCachedBySettings() throws Exception {
    TextToImageModel m = ShapesWorldModel.pretrained();
    Path file = dir.resolve("pool.safetensors");
    SdeditPool p = SdeditPool.loadOrMake(file, m, Ddim.steps(10, m).guidance(5), 11, 8, 8);
    assertEquals(16, p.size());
    assertArrayEquals(new long[] {16, 3, ShapesWorld.SIZE, ShapesWorld.SIZE}, p.images().shape());
    for (int i = 0; i < 8; i++) {
      assertEquals(ShapesWorld.scene(11, i).caption(), p.captions().get(2 * i));
      assertEquals(HardNegative.of(11, i).caption(), p.captions().get(2 * i + 1));
    }
    assertTrue(p.images().minNumber().doubleValue() >= 0 && p.images().maxNumber().doubleValue() <= 1);
    // the model redrew them (not the renders) ...
    INDArray renders = ShapesWorld.images(java.util.stream.IntStream.range(0, 16).mapToObj(
        j -> j % 2 == 0 ? ShapesWorld.scene(11, j / 2) : HardNegative.of(11, j / 2)).toList())
        .addi(1).divi(2);
    double change = Transforms.abs(p.images().sub(renders)).meanNumber().doubleValue();
    assertTrue(change > 1e-3, "mean |redrawn - render| " + change);
    // ... from the last two steps, so the oracle still reads the captions' backgrounds and colours
    Map<String, Double> acc = ShapesOracle.accuracy(p.images(), p.captions());
    assertTrue(acc.get("background") >= 0.9 && acc.get("shape_color") >= 0.9, acc.toString());
    // a second call reads the file, bit for bit
    assertEquals(p.images(), SdeditPool.loadOrMake(file, m, Ddim.steps(10, m).guidance(5), 11, 8, 8).images());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SdeditPool.loadOrMake(file, m, Ddim.steps(10, m).guidance(5), 11, 8, 7));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("other settings"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SdeditPool.loadOrMake(dir.resolve("x.safetensors"), m, Ddim.steps(10, m).guidance(5), 11, 8, 10));
    assertTrue(e.getMessage().contains("start step 10"), e.getMessage());
  }
}
