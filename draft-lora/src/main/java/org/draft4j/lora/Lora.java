package org.draft4j.lora;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.spi.AdapterSpec;

/**
 * LoRA recipe, an immutable value: {@code Lora.rank(4).alpha(4).onAttention()}. Each targeted linear
 * layer {@code W} becomes {@code W + s·(α/r)·B·A} with {@code A ∈ R^{r×in}} (Kaiming-uniform or
 * Gaussian), {@code B ∈ R^{out×r}} zero, so training starts at the base model.
 */
public final class Lora implements AdapterSpec {
  /** Initialization of A (B is always zero). */
  public enum Init {
    /** PEFT's default: U(-1/√in, 1/√in) (Kaiming-uniform with a = √5). */
    KAIMING_UNIFORM,
    /** PEFT's "gaussian": N(0, 1/r²). */
    GAUSSIAN
  }

  private final int rank;
  private final double alpha;
  private final LoraTargets targets;
  private final Init init;
  private final String name;
  private final double dropout;

  private Lora(int rank, double alpha, LoraTargets targets, Init init, String name) {
    this(rank, alpha, targets, init, name, 0);
  }

  private Lora(int rank, double alpha, LoraTargets targets, Init init, String name, double dropout) {
    checkArgument(dropout >= 0 && dropout < 1, "LoRA dropout = %s must be in [0, 1)", dropout);
    this.dropout = dropout;
    checkArgument(rank >= 1, "LoRA rank = %s must be >= 1", rank);
    checkArgument(alpha > 0 && Double.isFinite(alpha), "LoRA alpha = %s must be finite and > 0", alpha);
    checkArgument(name.matches("[A-Za-z][A-Za-z0-9_]*"), "LoRA name \"%s\" must match [A-Za-z][A-Za-z0-9_]*", name);
    this.rank = rank;
    this.alpha = alpha;
    this.targets = targets;
    this.init = init;
    this.name = name;
  }

  /** A rank-r LoRA on the attention projections with alpha = r (scale 1). */
  public static Lora rank(int r) {
    return new Lora(r, r, LoraTargets.attention(), Init.KAIMING_UNIFORM, "lora");
  }

  /** Sets alpha; the delta is scaled by alpha/rank. */
  public Lora alpha(double alpha) {
    return new Lora(rank, alpha, targets, init, name, dropout);
  }

  /** Targets the attention projections (the default). */
  public Lora onAttention() {
    return new Lora(rank, alpha, LoraTargets.attention(), init, name, dropout);
  }

  /** Targets layers by module-name patterns or a preset. */
  public Lora on(LoraTargets targets) {
    return new Lora(rank, alpha, targets, init, name, dropout);
  }

  /** The initialization of A. */
  public Lora init(Init init) {
    return new Lora(rank, alpha, targets, init, name, dropout);
  }

  /** The adapter name (several adapters on one model need distinct names). */
  public Lora named(String name) {
    return new Lora(rank, alpha, targets, init, name, dropout);
  }

  /**
   * Dropout on the adapter's input while training, {@code Δ = s·(α/r)·B·A·(m ⊙ x)/(1−p)} with
   * {@code m ~ Bernoulli(1−p)} per element (PEFT's {@code lora_dropout}). The mask is a function of
   * the trainer's step seed, so a training step's rollout and its checkpointed recomputation see
   * the same mask; sampling outside training uses no dropout.
   */
  public Lora dropout(double p) {
    return new Lora(rank, alpha, targets, init, name, p);
  }

  public double dropoutRate() {
    return dropout;
  }

  public int rank() {
    return rank;
  }

  public double alpha() {
    return alpha;
  }

  public LoraTargets targets() {
    return targets;
  }

  public Init initialization() {
    return init;
  }

  public String name() {
    return name;
  }

  @Override
  public LoraAdapter create(long seed) {
    return new LoraAdapter(this, seed);
  }

  @Override
  public String toString() {
    return "Lora.rank(" + rank + ").alpha(" + alpha + ")" + (dropout > 0 ? ".dropout(" + dropout + ")" : "") + " on "
        + targets.description();
  }
}
