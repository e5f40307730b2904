package org.draft4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.draft4j.engine.plan.Tracer;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A batch split over workers is traced once: the other workers run sibling plans (same schedule and
 * layout, their own arena), and each shard's output has the bits of the same sample run alone.
 */
class PlanSiblingsTest {
  private static CompiledGraph graph(ExecutionContext ctx) {
    SameDiff sd = Graphs.create();
    SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 8);
    SDVariable w = sd.constant("w", Nd4j.linspace(-1, 1, 64, DataType.FLOAT).reshape(8, 8));
    sd.math().tanh(x.mmul(w)).add(x).rename("y");
    return CompiledGraph.builder(sd).context(ctx).input("x", true).output("y", CompiledGraph.Combine.CONCAT)
        .label("siblings").build();
  }

  @Test
  void twoWorkersTraceOnceAndMatchSingleSampleRuns() {
    INDArray x = Nd4j.linspace(-2, 2, 32, DataType.FLOAT).reshape(4, 8);
    try (ExecutionContext two = ExecutionContext.create(ExecutionOptions.defaults().withThreads(2).withVerify(true));
        ExecutionContext one = ExecutionContext.create(ExecutionOptions.defaults().withVerify(true));
        CompiledGraph g2 = graph(two);
        CompiledGraph g1 = graph(one)) {
      INDArray y = g2.run(Map.of("x", x)).get("y");
      INDArray again = g2.run(Map.of("x", x)).get("y");
      assertEquals(2, g2.stats().plans());
      assertEquals(1, g2.tracedPlans(), "the second worker's plan is a sibling, not a new trace");
      assertTrue(Tracer.exactlyEqual(y, again));
      INDArray half1 = g1.run(Map.of("x", x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).dup())).get("y");
      INDArray half2 = g1.run(Map.of("x", x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4)).dup())).get("y");
      assertTrue(Tracer.exactlyEqual(Nd4j.concat(0, half1, half2), y), "shards have the bits of separate runs");
    }
  }
}
