package org.draft4j.examples.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The allowed values of a string command-line option, declared beside its {@code @Option}; {@link
 * Cli} refuses others naming the option and the list, e.g. {@code --objective = "dpo": must be one of
 * [draft, draft-k, ...]}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Choices {
  /** The allowed values. */
  String[] value();
}
