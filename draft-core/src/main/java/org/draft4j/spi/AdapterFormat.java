package org.draft4j.spi;

/** A file layout an {@link Adapter} can be saved in (for LoRA: diffusers/PEFT or kohya). */
public interface AdapterFormat {
  /** The format's name, as written to provenance metadata. */
  String name();
}
