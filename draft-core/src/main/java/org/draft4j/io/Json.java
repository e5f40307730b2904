package org.draft4j.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The library's one JSON configuration, on Jackson: configs, provenance, metrics and safetensors
 * headers all read and write through it.
 *
 * <p>Reading is strict: duplicate keys, trailing tokens, comments, single quotes, leading zeros,
 * NaN/Infinity tokens, unescaped control characters and nesting deeper than 256 are refused with
 * {@link IllegalArgumentException} naming the character offset; typed reads ({@link #mapper()})
 * also refuse unknown fields, missing fields and wrong types (no string-to-number or float-to-int
 * coercion), naming the field's path. Objects become
 * {@link LinkedHashMap} (insertion order kept), arrays {@link List}, integers {@link Long} (or
 * {@link java.math.BigInteger} beyond it), other numbers {@link Double}, plus {@link String},
 * {@link Boolean} and {@code null}. Writing turns NaN and ±∞ into {@code null} (JSON has neither).
 */
public final class Json {
  private static final ObjectMapper MAPPER = build();
  /** Objects one key per line indented by 2, {@code "key": value}; arrays on one line, {@code [1, 2]}. */
  private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter(Separators.createDefaultInstance()
      .withObjectFieldValueSpacing(Separators.Spacing.AFTER).withArrayValueSpacing(Separators.Spacing.AFTER)
      .withObjectEmptySeparator("").withArrayEmptySeparator(""))
      .withObjectIndenter(new DefaultIndenter("  ", "\n"))
      .withArrayIndenter(DefaultPrettyPrinter.NopIndenter.instance);

  private Json() {}

  /** The strict mapper (shared, thread-safe); typed configs read and write through it. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  private static ObjectMapper build() {
    SimpleModule nonFinite = new SimpleModule("draft4j-non-finite");
    JsonSerializer<Double> doubles = new JsonSerializer<>() {
      @Override
      public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
        if (v.isNaN() || v.isInfinite()) {
          g.writeNull();
        } else {
          g.writeNumber(v);
        }
      }
    };
    JsonSerializer<Float> floats = new JsonSerializer<>() {
      @Override
      public void serialize(Float v, JsonGenerator g, SerializerProvider p) throws IOException {
        if (v.isNaN() || v.isInfinite()) {
          g.writeNull();
        } else {
          g.writeNumber(v.doubleValue());
        }
      }
    };
    nonFinite.addSerializer(Double.class, doubles);
    nonFinite.addSerializer(double.class, doubles);
    nonFinite.addSerializer(Float.class, floats);
    nonFinite.addSerializer(float.class, floats);
    nonFinite.addSerializer(java.nio.file.Path.class, new JsonSerializer<java.nio.file.Path>() {
      @Override
      public void serialize(java.nio.file.Path v, JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeString(v.toString()); // as written on the command line, not as a file: URI
      }
    });
    JsonMapper m = JsonMapper.builder()
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_LONG_FOR_INTS)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .disable(JsonReadFeature.ALLOW_LEADING_ZEROS_FOR_NUMBERS)
        .disable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
        .addModule(nonFinite)
        .build();
    m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build());
    return m;
  }

  /** Parses one JSON value; trailing non-whitespace is an error. */
  public static Object parse(String text) {
    try {
      return MAPPER.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      long offset = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
      String m = e.getOriginalMessage();
      java.util.regex.Matcher dup = java.util.regex.Pattern.compile("^Duplicate field '(.*)'$").matcher(m);
      throw new IllegalArgumentException("malformed JSON at offset " + offset + ": "
          + (dup.matches() ? "duplicate key \"" + dup.group(1) + "\"" : m), e);
    }
  }

  /** Parses a JSON object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object, got " + typeName(v));
    }
    return (Map<String, Object>) v;
  }

  private static String typeName(Object v) {
    return v == null ? "null" : v instanceof List ? "array" : v.getClass().getSimpleName();
  }

  /** Writes a value (Map, List, String, Number, Boolean, null, records, arrays) as compact JSON. */
  public static String write(Object v) {
    try {
      return MAPPER.writeValueAsString(v);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + typeName(v) + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Writes a value as indented JSON (2 spaces), for configs humans read. */
  public static String writePretty(Object v) {
    try {
      return MAPPER.writer(PRETTY).writeValueAsString(v) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + typeName(v) + " as JSON: " + e.getOriginalMessage(), e);
    }
  }
}
