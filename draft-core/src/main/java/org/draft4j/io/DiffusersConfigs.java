package org.draft4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the {@code config.json} files of diffusers and transformers as records on the
 * library's strict mapper ({@link Json#mapper()}), with those libraries' own tolerance: a key the
 * record does not have ({@code _diffusers_version}, options this library does not implement) is
 * ignored, a key the file lacks takes the record's default, and a key the record has must hold a
 * value of its type (no coercion; the error names the field and the file).
 */
public final class DiffusersConfigs {
  private DiffusersConfigs() {}

  /**
   * The record {@code defaults} with every field that {@code file} sets replaced by the file's
   * value; {@code source} names the file in errors.
   */
  public static <T> T read(Map<String, Object> file, T defaults, Class<T> type, String source) {
    ObjectNode tree = Json.mapper().valueToTree(defaults);
    JsonNode given = Json.mapper().valueToTree(file);
    given.fields().forEachRemaining(e -> {
      if (tree.has(e.getKey())) {
        tree.set(e.getKey(), e.getValue());
      }
    });
    try {
      return Json.mapper().treeToValue(tree, type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      Throwable c = e.getCause() instanceof IllegalArgumentException ia ? ia : e;
      String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException jp ? jp.getOriginalMessage()
          : c.getMessage();
      // a value check that already names the file (ConfigReader's) is not prefixed twice
      throw new IllegalArgumentException(m != null && m.startsWith(source + ": ") ? m : source + ": " + m, e);
    }
  }

  /** The record as a diffusers config file's content, {@code _class_name} first. */
  public static Map<String, Object> write(String className, Object config) {
    return write(Map.of("_class_name", className), config);
  }

  /** The record as a config file's content after {@code header}'s entries (transformers' {@code model_type}, ...). */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> write(Map<String, Object> header, Object config) {
    Map<String, Object> m = new LinkedHashMap<>(header);
    m.putAll(Json.mapper().convertValue(config, LinkedHashMap.class));
    return m;
  }
}
