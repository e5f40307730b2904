package org.draft4j.samplers;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.DiffusersConfigs;
import org.draft4j.io.Json;

/**
 * diffusers' {@code FlowMatchEulerDiscreteScheduler} config ({@code scheduler/scheduler_config.json},
 * v0.35.2 keys), the schedule of rectified-flow models (SD3, SD3.5, FLUX, Wan). The defaults are
 * diffusers': 1000 training timesteps, {@code shift} 1.0, no dynamic shifting (FLUX's
 * {@code base_shift} 0.5, {@code max_shift} 1.15, {@code base_image_seq_len} 256,
 * {@code max_image_seq_len} 4096 for when it is on), exponential time shift, no
 * {@code shift_terminal}, deterministic Euler steps.
 *
 * <p>What the keys do ({@link FlowMatchEulerScheduler} has the formulas): {@code shift} s maps a
 * noise level {@code σ ↦ s·σ/(1 + (s − 1)·σ)} (SD3: 3.0); with {@code use_dynamic_shifting} the
 * shift is instead {@code σ ↦ e^μ/(e^μ + 1/σ − 1)} ({@code time_shift_type} "exponential") or
 * {@code μ/(μ + 1/σ − 1)} ("linear") with μ given per call, linear in the image's token count
 * between {@code (base_image_seq_len, base_shift)} and {@code (max_image_seq_len, max_shift)};
 * {@code shift_terminal} T stretches the schedule so that its last level is T; with
 * {@code stochastic_sampling} each step re-noises its one-step prediction of the clean sample
 * instead of taking the Euler step.
 *
 * <p>{@code invert_sigmas} (Mochi) and the Karras, exponential and beta sigma conversions are not
 * implemented: a config setting one of them is refused naming the key.
 */
public record FlowMatchSchedulerConfig(
    @JsonProperty("num_train_timesteps") int numTrainTimesteps,
    @JsonProperty("shift") double shift,
    @JsonProperty("use_dynamic_shifting") boolean useDynamicShifting,
    @JsonProperty("base_shift") double baseShift,
    @JsonProperty("max_shift") double maxShift,
    @JsonProperty("base_image_seq_len") int baseImageSeqLen,
    @JsonProperty("max_image_seq_len") int maxImageSeqLen,
    @JsonProperty("invert_sigmas") boolean invertSigmas,
    @JsonProperty("shift_terminal") Double shiftTerminal,
    @JsonProperty("use_karras_sigmas") boolean useKarrasSigmas,
    @JsonProperty("use_exponential_sigmas") boolean useExponentialSigmas,
    @JsonProperty("use_beta_sigmas") boolean useBetaSigmas,
    @JsonProperty("time_shift_type") String timeShiftType,
    @JsonProperty("stochastic_sampling") boolean stochasticSampling) implements SchedulerConfig {
  /** diffusers' class name, {@code _class_name} in the file. */
  public static final String CLASS_NAME = "FlowMatchEulerDiscreteScheduler";
  static final Set<String> TIME_SHIFT_TYPES = Set.of("exponential", "linear");

  public FlowMatchSchedulerConfig {
    checkArgument(numTrainTimesteps >= 1, "num_train_timesteps = %s must be >= 1", numTrainTimesteps);
    checkArgument(shift > 0 && Double.isFinite(shift), "shift = %s must be finite and > 0", shift);
    checkArgument(Double.isFinite(baseShift) && Double.isFinite(maxShift),
        "base_shift = %s and max_shift = %s must be finite", baseShift, maxShift);
    checkArgument(baseImageSeqLen != maxImageSeqLen,
        "base_image_seq_len = %s equals max_image_seq_len = %s; they must differ (the shift is linear between them)",
        baseImageSeqLen, maxImageSeqLen);
    checkArgument(shiftTerminal == null || (shiftTerminal >= 0 && shiftTerminal < 1),
        "shift_terminal = %s must be null or in [0, 1) (0 or null: no stretching)", shiftTerminal);
    checkArgument(TIME_SHIFT_TYPES.contains(timeShiftType), "time_shift_type = \"%s\" is not supported; allowed: %s",
        timeShiftType, TIME_SHIFT_TYPES);
    checkArgument(!invertSigmas, "invert_sigmas = true (Mochi's inverted schedule) is not implemented; allowed: false");
    checkArgument(!useKarrasSigmas, "use_karras_sigmas = true is not implemented; allowed: false");
    checkArgument(!useExponentialSigmas, "use_exponential_sigmas = true is not implemented; allowed: false");
    checkArgument(!useBetaSigmas, "use_beta_sigmas = true is not implemented; allowed: false");
  }

  /** diffusers' defaults ({@code FlowMatchEulerDiscreteScheduler()}): shift 1.0, no dynamic shifting. */
  public static FlowMatchSchedulerConfig defaults() {
    return new FlowMatchSchedulerConfig(1000, 1.0, false, 0.5, 1.15, 256, 4096, false, null, false, false, false,
        "exponential", false);
  }

  /** Stable Diffusion 3 / 3.5's scheduler: static shift 3.0. */
  public static FlowMatchSchedulerConfig sd3() {
    return defaults().withShift(3.0);
  }

  /**
   * FLUX.1's scheduler: dynamic (exponential) shifting with μ from the token count between
   * (256, 0.5) and (4096, 1.15); {@code shift} 3.0 is stored but not used.
   */
  public static FlowMatchSchedulerConfig flux() {
    return defaults().withShift(3.0).withDynamicShifting(true);
  }

  /** The same config with another static {@code shift}. */
  public FlowMatchSchedulerConfig withShift(double s) {
    return new FlowMatchSchedulerConfig(numTrainTimesteps, s, useDynamicShifting, baseShift, maxShift, baseImageSeqLen,
        maxImageSeqLen, invertSigmas, shiftTerminal, useKarrasSigmas, useExponentialSigmas, useBetaSigmas,
        timeShiftType, stochasticSampling);
  }

  /** The same config with {@code use_dynamic_shifting} on or off. */
  public FlowMatchSchedulerConfig withDynamicShifting(boolean dynamic) {
    return new FlowMatchSchedulerConfig(numTrainTimesteps, shift, dynamic, baseShift, maxShift, baseImageSeqLen,
        maxImageSeqLen, invertSigmas, shiftTerminal, useKarrasSigmas, useExponentialSigmas, useBetaSigmas,
        timeShiftType, stochasticSampling);
  }

  /** The same config with {@code shift_terminal} (null: none). */
  public FlowMatchSchedulerConfig withShiftTerminal(Double terminal) {
    return new FlowMatchSchedulerConfig(numTrainTimesteps, shift, useDynamicShifting, baseShift, maxShift,
        baseImageSeqLen, maxImageSeqLen, invertSigmas, terminal, useKarrasSigmas, useExponentialSigmas, useBetaSigmas,
        timeShiftType, stochasticSampling);
  }

  /** The same config with {@code time_shift_type} "exponential" or "linear". */
  public FlowMatchSchedulerConfig withTimeShiftType(String type) {
    return new FlowMatchSchedulerConfig(numTrainTimesteps, shift, useDynamicShifting, baseShift, maxShift,
        baseImageSeqLen, maxImageSeqLen, invertSigmas, shiftTerminal, useKarrasSigmas, useExponentialSigmas,
        useBetaSigmas, type, stochasticSampling);
  }

  /** The same config with {@code stochastic_sampling} on or off. */
  public FlowMatchSchedulerConfig withStochasticSampling(boolean stochastic) {
    return new FlowMatchSchedulerConfig(numTrainTimesteps, shift, useDynamicShifting, baseShift, maxShift,
        baseImageSeqLen, maxImageSeqLen, invertSigmas, shiftTerminal, useKarrasSigmas, useExponentialSigmas,
        useBetaSigmas, timeShiftType, stochastic);
  }

  /**
   * Parses scheduler_config.json content: keys it does not know ({@code _class_name},
   * {@code _diffusers_version}) are ignored, missing keys take diffusers' defaults, a known key of
   * the wrong type is refused naming it and {@code source}.
   */
  public static FlowMatchSchedulerConfig fromJson(Map<String, Object> m, String source) {
    return DiffusersConfigs.read(m, defaults(), FlowMatchSchedulerConfig.class, source);
  }

  /** Reads {@code scheduler_config.json}. */
  public static FlowMatchSchedulerConfig load(Path file) throws IOException {
    return fromJson(Json.parseObject(Files.readString(file)), file.toString());
  }

  /**
   * FLUX's μ for an image of {@code imageSeqLen} tokens, linear between
   * ({@code base_image_seq_len}, {@code base_shift}) and ({@code max_image_seq_len}, {@code max_shift})
   * ({@link FlowMatchEulerScheduler#calculateShift(int, int, int, double, double)}).
   */
  public double calculateShift(int imageSeqLen) {
    return FlowMatchEulerScheduler.calculateShift(imageSeqLen, baseImageSeqLen, maxImageSeqLen, baseShift, maxShift);
  }

  @Override
  public String className() {
    return CLASS_NAME;
  }
}
