package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * A differentiable reward: one score per image. This is the library's single image convention:
 * <b>images are {@code [B, 3, H, W]} (NCHW, RGB) float in {@code [0, 1]}</b>, a SameDiff variable
 * through which gradients flow back to the sampler.
 *
 * <p>Implement {@link #score}; composition comes free: {@code a.plus(0.1, b)}, {@code a.times(2)},
 * {@code a.negate()}, {@code a.clip(lo, hi)}. Prompts reach the graph through
 * {@link RewardGraph#promptInput}.
 */
@FunctionalInterface
public interface Reward {
  /**
   * Adds this reward to the graph.
   *
   * @param graph the graph under construction, with batch size, image size and prompt inputs
   * @param images {@code [B, 3, H, W]} in [0, 1]
   * @return {@code [B]} rewards, higher is better
   */
  SDVariable score(RewardGraph graph, SDVariable images);

  /**
   * A short name for logs, metrics and checkpoints: the class's simple name, or for a lambda or an
   * anonymous class {@code custom(<class that defines it>)}, which stays the same from one JVM run to
   * the next (a lambda's own class name ends in a per-run address). Give your own with
   * {@link #named}. Checkpoints are matched on the reward's graph as well as its name, so two
   * different lambdas in one class are still told apart.
   */
  default String name() {
    Class<?> c = getClass();
    String full = c.getName();
    int lambda = full.indexOf("$$Lambda");
    if (lambda >= 0 || c.isAnonymousClass() || c.isSynthetic() || c.getSimpleName().isEmpty()) {
      String host = lambda >= 0 ? full.substring(0, lambda) : c.getEnclosingClass() != null
          ? c.getEnclosingClass().getName() : full.replaceAll("\\$[0-9]+$", "");
      return "custom(" + host.substring(host.lastIndexOf('.') + 1) + ")";
    }
    return c.getSimpleName();
  }

  /** {@code reward} under another name (for logs, metrics and checkpoints). */
  static Reward named(String name, Reward reward) {
    checkArgument(name != null && !name.isBlank(), "reward name must not be blank");
    checkArgument(reward != null, "reward must not be null");
    return new Reward() {
      @Override
      public SDVariable score(RewardGraph g, SDVariable images) {
        return reward.score(g, images);
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public boolean independentPerImage() {
        return reward.independentPerImage();
      }
    };
  }

  /**
   * Whether each image's reward depends on that image (and its prompt) alone, so a batch may be
   * split across worker threads (the default). A reward that compares the images of a batch with
   * each other (diversity, ranking) must return false.
   */
  default boolean independentPerImage() {
    return true;
  }

  /** {@code this + weight·other}; each term is logged under its own name. */
  default Reward plus(double weight, Reward other) {
    return WeightedSum.of(List.of(new WeightedSum.Term(1.0, this), new WeightedSum.Term(weight, other)));
  }

  /** {@code weight·this}. */
  default Reward times(double weight) {
    return WeightedSum.of(List.of(new WeightedSum.Term(weight, this)));
  }

  /** {@code -this} (for example incompressibility from compressibility). */
  default Reward negate() {
    return times(-1);
  }

  /** This reward clipped to {@code [lo, hi]} (gradient zero outside). */
  default Reward clip(double lo, double hi) {
    checkArgument(lo < hi, "clip range [%s, %s] is empty", lo, hi);
    Reward self = this;
    return new Reward() {
      @Override
      public SDVariable score(RewardGraph g, SDVariable images) {
        return g.sd().math.clipByValue(self.score(g, images), lo, hi);
      }

      @Override
      public String name() {
        return "clip(" + self.name() + ")";
      }

      @Override
      public boolean independentPerImage() {
        return self.independentPerImage();
      }
    };
  }
}
