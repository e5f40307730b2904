package org.draft4j.examples.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The allowed range of a numeric command-line option, declared beside its {@code @Option}:
 * {@code min <= x <= max}, or {@code min < x} when {@code minExclusive}. {@link Cli} checks every
 * given value against it (numbers must also be finite) and names the option in its error, e.g.
 * {@code --steps = "-3": must be an integer >= 1}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Bounds {
  /** Smallest allowed value. */
  double min() default -Double.MAX_VALUE;

  /** Largest allowed value. */
  double max() default Double.MAX_VALUE;

  /** Whether {@link #min} itself is refused. */
  boolean minExclusive() default false;
}
