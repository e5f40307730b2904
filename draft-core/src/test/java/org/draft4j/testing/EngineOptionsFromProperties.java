package org.draft4j.testing;

import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Sets the default execution options of a test JVM from its {@code -Ddraft4j.*} properties
 * (the build's surefire configuration sets {@code -Ddraft4j.verify=true}, so every plan a test makes
 * is replayed and checked bit for bit). Registered for every test class through JUnit's extension
 * auto-detection ({@code META-INF/services}); the library itself reads no properties.
 */
public final class EngineOptionsFromProperties implements BeforeAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    ExecutionContext.setDefaultOptions(ExecutionOptions.fromProperties(System.getProperties()));
  }
}
