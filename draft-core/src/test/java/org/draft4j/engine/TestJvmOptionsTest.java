package org.draft4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The test JVM's default execution options are its {@code -Ddraft4j.*} flags (the build sets
 * {@code -Ddraft4j.verify=true}): fails if {@code org.draft4j.testing.EngineOptionsFromProperties} is
 * not registered, which would silently stop every test from verifying its plans.
 */
class TestJvmOptionsTest {
  @Test
  void defaultOptionsComeFromTheFlags() {
    assertEquals(ExecutionOptions.fromProperties(System.getProperties()), ExecutionContext.defaultOptions());
    assertEquals(Boolean.getBoolean(ExecutionOptions.VERIFY_PROPERTY), ExecutionContext.defaultOptions().verify());
  }
}
