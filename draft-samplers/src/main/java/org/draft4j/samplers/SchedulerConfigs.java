package org.draft4j.samplers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;

/**
 * Reads and writes {@code scheduler_config.json} for either kind of model, dispatching on
 * {@code _class_name}: {@value FlowMatchSchedulerConfig#CLASS_NAME} is read as a
 * {@link FlowMatchSchedulerConfig}; {@code DDIMScheduler} and the DDPM-family schedulers whose
 * configs diffusers' {@code DDIMScheduler.from_config} accepts (its {@code _compatibles}: PNDM, the
 * SD 1.x default, DDPM, Euler, DPM-Solver, ...) as a {@link DdimSchedulerConfig} of the same
 * betas. Any other class is refused naming it and listing these.
 */
public final class SchedulerConfigs {
  /** diffusers' classes read as DDIM: DDIMScheduler and its {@code _compatibles} (KarrasDiffusionSchedulers). */
  public static final List<String> DDIM_CLASSES = List.of("DDIMScheduler", "DDPMScheduler", "PNDMScheduler",
      "LMSDiscreteScheduler", "EulerDiscreteScheduler", "HeunDiscreteScheduler", "EulerAncestralDiscreteScheduler",
      "DPMSolverMultistepScheduler", "DPMSolverSinglestepScheduler", "KDPM2DiscreteScheduler",
      "KDPM2AncestralDiscreteScheduler", "DEISMultistepScheduler", "UniPCMultistepScheduler",
      "DPMSolverSDEScheduler", "EDMEulerScheduler");
  /** diffusers' classes read as flow matching. */
  public static final List<String> FLOW_CLASSES = List.of(FlowMatchSchedulerConfig.CLASS_NAME);

  private SchedulerConfigs() {}

  /**
   * The config in {@code file}'s content by its {@code _class_name}; {@code source} names the file
   * in errors. A missing or unknown class is refused naming it and listing the known ones.
   */
  public static SchedulerConfig fromJson(Map<String, Object> file, String source) {
    Object cls = file.get("_class_name");
    if (cls instanceof String s && FLOW_CLASSES.contains(s)) {
      return FlowMatchSchedulerConfig.fromJson(file, source);
    }
    if (cls instanceof String s && DDIM_CLASSES.contains(s)) {
      return DdimSchedulerConfig.fromJson(file, source);
    }
    throw new IllegalArgumentException(source + ": _class_name = " + (cls instanceof String s ? "\"" + s + "\""
        : cls) + " is not a scheduler draft4j can sample with; known: " + FLOW_CLASSES + " (flow matching), "
        + DDIM_CLASSES + " (read as DDIM)");
  }

  /** Reads {@code scheduler_config.json} (see {@link #fromJson}). */
  public static SchedulerConfig read(Path file) throws IOException {
    return fromJson(Json.parseObject(Files.readString(file)), file.toString());
  }

  /** Writes {@code config} to {@code file} as diffusers does ({@code _class_name} first, then its keys). */
  public static void write(SchedulerConfig config, Path file) throws IOException {
    Files.writeString(file, Json.writePretty(new LinkedHashMap<>(config.toJson())));
  }
}
