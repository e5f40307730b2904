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
 * diffusers' {@code DDIMScheduler} config ({@code scheduler/scheduler_config.json}). The default is
 * Stable Diffusion 1.x's: scaled_linear betas 0.00085 to 0.012 over 1000 steps, "leading" spacing
 * with steps_offset 1, set_alpha_to_one false, epsilon prediction, no clipping.
 *
 * <p>{@code rescale_betas_zero_snr} (Lin et al., "Common Diffusion Noise Schedules and Sample Steps
 * are Flawed", WACV 2024) rescales the betas so that the last timestep has signal-to-noise ratio 0:
 * {@code √ᾱ ← (√ᾱ − √ᾱ_T)·√ᾱ_0/(√ᾱ_0 − √ᾱ_T)}, so {@code ᾱ_T = 0} and x_T carries nothing of the image.
 * It needs v or sample prediction (epsilon's {@code x̂₀ = (x − √(1−ᾱ)ε)/√ᾱ} divides by zero at T)
 * and is meant with "trailing" spacing, which starts sampling at T.
 */
public record DdimSchedulerConfig(
    @JsonProperty("num_train_timesteps") int numTrainTimesteps,
    @JsonProperty("beta_start") double betaStart,
    @JsonProperty("beta_end") double betaEnd,
    @JsonProperty("beta_schedule") String betaSchedule,
    @JsonProperty("set_alpha_to_one") boolean setAlphaToOne,
    @JsonProperty("steps_offset") int stepsOffset,
    @JsonProperty("prediction_type") String predictionType,
    @JsonProperty("timestep_spacing") String timestepSpacing,
    @JsonProperty("clip_sample") boolean clipSample,
    @JsonProperty("clip_sample_range") double clipSampleRange,
    @JsonProperty("rescale_betas_zero_snr") boolean rescaleBetasZeroSnr) implements SchedulerConfig {
  /** diffusers' class name, {@code _class_name} in the file this record writes. */
  public static final String CLASS_NAME = "DDIMScheduler";
  static final Set<String> BETA_SCHEDULES = Set.of("linear", "scaled_linear", "squaredcos_cap_v2");
  static final Set<String> PREDICTION_TYPES = Set.of("epsilon", "v_prediction", "sample");
  static final Set<String> SPACINGS = Set.of("leading", "trailing", "linspace");

  public DdimSchedulerConfig {
    checkArgument(numTrainTimesteps >= 1, "num_train_timesteps = %s must be >= 1", numTrainTimesteps);
    checkArgument(betaStart > 0 && betaEnd >= betaStart && betaEnd < 1,
        "beta_start = %s and beta_end = %s must satisfy 0 < beta_start <= beta_end < 1", betaStart, betaEnd);
    checkArgument(BETA_SCHEDULES.contains(betaSchedule), "beta_schedule = \"%s\" is not supported; allowed: %s",
        betaSchedule, BETA_SCHEDULES);
    checkArgument(PREDICTION_TYPES.contains(predictionType), "prediction_type = \"%s\" is not supported; allowed: %s",
        predictionType, PREDICTION_TYPES);
    checkArgument(SPACINGS.contains(timestepSpacing), "timestep_spacing = \"%s\" is not supported; allowed: %s",
        timestepSpacing, SPACINGS);
    checkArgument(stepsOffset >= 0, "steps_offset = %s must be >= 0", stepsOffset);
    checkArgument(clipSampleRange > 0, "clip_sample_range = %s must be > 0", clipSampleRange);
    checkArgument(!rescaleBetasZeroSnr || !predictionType.equals("epsilon"),
        "rescale_betas_zero_snr = true with prediction_type = \"epsilon\": epsilon prediction is undefined at zero"
            + " terminal SNR (x0 = (x - sqrt(1 - alpha_bar) eps) / sqrt(alpha_bar) divides by sqrt(alpha_bar_T) = 0);"
            + " allowed with zero SNR: v_prediction, sample");
  }

  /** The same schedule with {@code rescale_betas_zero_snr} (see the class comment). */
  public DdimSchedulerConfig withRescaleBetasZeroSnr(boolean rescale) {
    return new DdimSchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, setAlphaToOne, stepsOffset,
        predictionType, timestepSpacing, clipSample, clipSampleRange, rescale);
  }

  /**
   * SD 1.x's betas made zero-terminal-SNR, with v-prediction and trailing spacing: the configuration
   * Lin et al. recommend (diffusers: {@code rescale_betas_zero_snr=True, timestep_spacing="trailing",
   * prediction_type="v_prediction"}).
   */
  public static DdimSchedulerConfig zeroTerminalSnr() {
    return new DdimSchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", false, 1, "v_prediction", "trailing", false,
        1.0, true);
  }

  /** Stable Diffusion 1.x's scheduler. */
  public static DdimSchedulerConfig sd15() {
    return new DdimSchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", false, 1, "epsilon", "leading", false, 1.0,
        false);
  }

  public DdimSchedulerConfig withPredictionType(String type) {
    return new DdimSchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, setAlphaToOne, stepsOffset,
        type, timestepSpacing, clipSample, clipSampleRange, rescaleBetasZeroSnr);
  }

  public DdimSchedulerConfig withTimestepSpacing(String spacing) {
    return new DdimSchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, setAlphaToOne, stepsOffset,
        predictionType, spacing, clipSample, clipSampleRange, rescaleBetasZeroSnr);
  }

  /**
   * Parses scheduler_config.json content: keys it does not know ({@code _class_name}, options not
   * implemented) are ignored, missing keys take SD 1.x's values, a known key of the wrong type is
   * refused naming it and {@code source}.
   */
  public static DdimSchedulerConfig fromJson(Map<String, Object> m, String source) {
    return DiffusersConfigs.read(m, sd15(), DdimSchedulerConfig.class, source);
  }

  /** Reads {@code scheduler_config.json}. */
  public static DdimSchedulerConfig load(Path file) throws IOException {
    return fromJson(Json.parseObject(Files.readString(file)), file.toString());
  }

  @Override
  public String className() {
    return CLASS_NAME;
  }
}
