package org.draft4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The library's one reader (and writer) of the {@code config.json} files of diffusers and
 * transformers: the content of one file (its parsed JSON, as {@code ModelFolder.readJson} gives
 * it) with the name it is reported by, read with those libraries' own tolerance. A key this library does not use
 * ({@code _diffusers_version}, options it does not implement) is ignored, a key the file lacks takes
 * its default, and a key it has must hold a value of the expected type; every error names the file,
 * the field and the value.
 *
 * <p>Two ways to read, for two kinds of config: {@link #read(Map, Object, Class, String)} fills a
 * record from its defaults in one call (the record's JSON names are the file's keys); the field
 * readers ({@link #integer}, {@link #intList}, {@link #oneOf}, {@link #requireDefault}, ...) serve
 * configs whose keys need interpretation (aliases, a scalar meaning one value per block, values
 * that must keep their default because other values are not implemented).
 */
public final class DiffusersConfigs {
  private final Map<String, Object> m;
  private final String source;

  private DiffusersConfigs(Map<String, Object> file, String source) {
    this.m = file;
    this.source = source;
  }

  /** A reader of one file's content; {@code source} names the file in errors. */
  public static DiffusersConfigs of(Map<String, Object> file, String source) {
    return new DiffusersConfigs(file, source);
  }

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
      String msg = e instanceof com.fasterxml.jackson.core.JsonProcessingException jp ? jp.getOriginalMessage()
          : c.getMessage();
      // a value check that already names the file (the field readers') is not prefixed twice
      throw new IllegalArgumentException(namingFile(msg, source), e);
    }
  }

  /** {@code message} prefixed with {@code source + ": "} unless it starts with it already. */
  public static String namingFile(String message, String source) {
    return message != null && message.startsWith(source + ": ") ? message : source + ": " + message;
  }

  /** The record as a diffusers config file's content, {@code _class_name} first. */
  public static Map<String, Object> write(String className, Object config) {
    return write(Map.of("_class_name", className), config);
  }

  /** The record as a config file's content after {@code header}'s entries (transformers' {@code model_type}, ...). */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> write(Map<String, Object> header, Object config) {
    Map<String, Object> out = new LinkedHashMap<>(header);
    out.putAll(Json.mapper().convertValue(config, LinkedHashMap.class));
    return out;
  }

  /** The error for {@code field}'s {@code value}, naming the file and what is {@code allowed}. */
  public IllegalArgumentException error(String field, Object value, String allowed) {
    return new IllegalArgumentException(source + ": field \"" + field + "\" = " + value + " is not supported; allowed: "
        + allowed);
  }

  /** Whether the file sets {@code k} to a value other than null. */
  public boolean has(String k) {
    return m.containsKey(k) && m.get(k) != null;
  }

  /** An integral number (4 or 4.0), or {@code dflt} when absent or null. */
  public int integer(String k, int dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    throw error(k, v, "an integer");
  }

  /** A number, or {@code dflt} when absent or null. */
  public double number(String k, double dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw error(k, v, "a number");
  }

  /** A boolean, or {@code dflt} when absent or null. */
  public boolean bool(String k, boolean dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw error(k, v, "true or false");
  }

  /** A string, or {@code dflt} when absent or null. */
  public String string(String k, String dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof String s) {
      return s;
    }
    throw error(k, v, "a string");
  }

  /** A string among {@code allowed}, or {@code dflt} when absent or null. */
  public String oneOf(String k, String dflt, Set<String> allowed) {
    String s = string(k, dflt);
    if (!allowed.contains(s)) {
      throw error(k, "\"" + s + "\"", allowed.toString());
    }
    return s;
  }

  /** An int, or a list of ints with one entry per block; a scalar is repeated {@code n} times. */
  public int[] intList(String k, int[] dflt, int n) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number) {
      int[] r = new int[n];
      Arrays.fill(r, integer(k, 0));
      return r;
    }
    if (v instanceof List<?> l) {
      int[] r = new int[l.size()];
      for (int i = 0; i < r.length; i++) {
        if (!(l.get(i) instanceof Number num)) {
          throw error(k, v, "a list of integers");
        }
        r[i] = num.intValue();
      }
      return r;
    }
    throw error(k, v, "an integer or a list of integers");
  }

  /** A list of strings, or {@code dflt} when absent or null. */
  public List<String> stringList(String k, List<String> dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof List<?> l) {
      List<String> r = new ArrayList<>();
      for (Object o : l) {
        if (!(o instanceof String s)) {
          throw error(k, v, "a list of strings");
        }
        r.add(s);
      }
      return r;
    }
    throw error(k, v, "a list of strings");
  }

  /** Refuses {@code k} unless it is absent or exactly {@code expected} (features not implemented). */
  public void requireDefault(String k, Object expected) {
    Object v = m.get(k);
    if (v == null) {
      return;
    }
    boolean ok = expected instanceof Number e && v instanceof Number n
        ? e.doubleValue() == n.doubleValue() : v.equals(expected);
    if (!ok) {
      throw error(k, v, String.valueOf(expected) + " (other values are not implemented)");
    }
  }
}
