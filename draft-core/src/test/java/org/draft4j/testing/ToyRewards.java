package org.draft4j.testing;

import org.draft4j.spi.Reward;

/** Rewards in a line of SameDiff, for tests that must not depend on draft-rewards. */
public final class ToyRewards {
  private ToyRewards() {}

  /** Mean brightness, {@code mean(x)} per image. */
  public static Reward brightness() {
    return Reward.named("brightness", (g, images) -> images.mean(1, 2, 3));
  }

  /** Contrast, {@code mean((x − ½)²)} per image: non-linear, so every gradient path is exercised. */
  public static Reward contrast() {
    return Reward.named("contrast", (g, images) -> images.sub(0.5).mul(images.sub(0.5)).mean(1, 2, 3));
  }
}
