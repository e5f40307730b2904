package org.draft4j.spi;

/** A recipe for a fresh adapter ({@code Lora.rank(4).alpha(4).onAttention()}), created when training starts. */
public interface AdapterSpec {
  /** Creates an adapter whose initial weights are deterministic in {@code seed}. */
  Adapter create(long seed);
}
