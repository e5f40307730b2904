package org.draft4j;

/** The library version, recorded in adapter provenance. */
public final class Version {
  /** draft4j's version. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  private Version() {}
}
