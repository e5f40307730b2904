package org.draft4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Where two configurations, as JSON trees, first differ: the field's dotted path
 * ({@code adapter.rank}) and its two values (null where a side lacks the field). The one rule by
 * which resumes and data-parallel replicas compare configurations.
 *
 * @param field the dotted path of the first differing field ("" for the root)
 * @param saved the value on the reference side (the checkpoint's, the driver's)
 * @param now the value on this side
 */
record ConfigDifference(String field, JsonNode saved, JsonNode now) {
  /** Numbers by value (an int and a long of one value agree; an integer never equals a fraction); others by equals. */
  private static final Comparator<JsonNode> VALUES = (a, b) -> {
    if (a.isNumber() && b.isNumber()) {
      if (a.isIntegralNumber() != b.isIntegralNumber()) {
        return 1;
      }
      return a.isIntegralNumber() ? a.bigIntegerValue().compareTo(b.bigIntegerValue())
          : Double.compare(a.doubleValue(), b.doubleValue());
    }
    return a.equals(b) ? 0 : 1;
  };

  /**
   * The first field under {@code path} where {@code saved} and {@code now} differ, or null when they
   * are equal. Objects compare by the union of their keys ({@code now}'s first), not by key order: a
   * field only one side has differs, unless its value is null; arrays and scalars compare whole, by
   * value.
   */
  static ConfigDifference first(String path, JsonNode saved, JsonNode now) {
    if (absent(saved) && absent(now)) {
      return null;
    }
    if (saved != null && now != null && saved.isObject() && now.isObject()) {
      Set<String> keys = new LinkedHashSet<>();
      now.fieldNames().forEachRemaining(keys::add);
      saved.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        ConfigDifference d = first(path.isEmpty() ? k : path + "." + k, saved.get(k), now.get(k));
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    boolean same = saved != null && now != null && saved.equals(VALUES, now);
    return same ? null : new ConfigDifference(path, saved, now);
  }

  private static boolean absent(JsonNode n) {
    return n == null || n.isNull();
  }
}
