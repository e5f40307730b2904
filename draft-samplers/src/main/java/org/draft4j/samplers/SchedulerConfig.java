package org.draft4j.samplers;

import java.util.Map;

/**
 * A scheduler config draft4j can sample with, as diffusers writes it to
 * {@code scheduler/scheduler_config.json}: DDIM ({@link DdimSchedulerConfig}) or flow matching
 * ({@link FlowMatchSchedulerConfig}). {@link SchedulerConfigs#read} picks the kind by the file's
 * {@code _class_name}.
 */
public sealed interface SchedulerConfig permits DdimSchedulerConfig, FlowMatchSchedulerConfig {
  /** The diffusers class this config is written as ({@code _class_name}). */
  String className();

  /** The file's content: {@code _class_name} first, then diffusers' keys (the record's components). */
  default Map<String, Object> toJson() {
    return org.draft4j.io.DiffusersConfigs.write(className(), this);
  }
}
