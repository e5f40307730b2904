package org.draft4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.draft4j.engine.plan.Diagnostics;
import org.junit.jupiter.api.Test;

class ExecutionOptionsTest {
  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  @Test
  void noPropertiesGiveTheDefaults() {
    assertEquals(ExecutionOptions.defaults(), ExecutionOptions.fromProperties(new Properties()));
    ExecutionOptions d = ExecutionOptions.defaults();
    assertTrue(d.fusedOps() && d.rewrites() && !d.verify());
    assertEquals(Diagnostics.NONE, d.diagnostics());
  }

  @Test
  void everyPropertyIsRead() {
    ExecutionOptions o = ExecutionOptions.fromProperties(props("draft4j.threads", "3", "draft4j.checkpointing",
        "Always", "draft4j.activationBudgetMb", "64", "draft4j.execution", "samediff", "draft4j.verify", "true",
        "draft4j.fusedOps", "false", "draft4j.rewrites", "false", "draft4j.memoryReport", "true",
        "draft4j.verifyKernels", "true"));
    assertEquals(new ExecutionOptions(ExecutionMode.SAMEDIFF, 3, Checkpointing.ALWAYS, 64L << 20, true, false, false,
        new Diagnostics(true, false, false, false, true)), o);
  }

  @Test
  void malformedValuesNameTheProperty() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ExecutionOptions.fromProperties(props("draft4j.checkpointing", "sometimes")));
    assertEquals("-Ddraft4j.checkpointing = \"sometimes\" is not one of [never, auto, always]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ExecutionOptions.fromProperties(props("draft4j.fusedOps", "no")));
    assertEquals("-Ddraft4j.fusedOps = \"no\" is not true or false", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ExecutionOptions.fromProperties(props("draft4j.threads", "two")));
    assertEquals("-Ddraft4j.threads = \"two\" is not an integer", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ExecutionOptions.fromProperties(props("draft4j.threads", "0")));
    assertEquals("threads = 0 must be in [1, 256]", e.getMessage());
  }

  @Test
  void withersChangeOneField() {
    ExecutionOptions d = ExecutionOptions.defaults();
    assertFalse(d.withFusedOps(false).fusedOps());
    assertEquals(d, d.withFusedOps(false).withFusedOps(true));
    assertFalse(d.withRewrites(false).rewrites());
    assertEquals(d.withThreads(4).threads(), 4);
  }

  @Test
  void aContextWithoutFusedOpsBuildsPrimitiveGraphs() {
    try (ExecutionContext c = ExecutionContext.create(ExecutionOptions.defaults().withFusedOps(false))) {
      assertFalse(c.fusedOps());
    }
  }
}
