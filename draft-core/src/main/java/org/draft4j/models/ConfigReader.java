package org.draft4j.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Typed access to a config.json map with errors that name the file, the field and the value. */
final class ConfigReader {
  private final Map<String, Object> m;
  private final String source;

  ConfigReader(Map<String, Object> m, String source) {
    this.m = m;
    this.source = source;
  }

  IllegalArgumentException error(String field, Object value, String allowed) {
    return new IllegalArgumentException(source + ": field \"" + field + "\" = " + value + " is not supported; allowed: "
        + allowed);
  }

  boolean has(String k) {
    return m.containsKey(k) && m.get(k) != null;
  }

  int integer(String k, int dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    throw error(k, v, "an integer");
  }

  double number(String k, double dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw error(k, v, "a number");
  }

  boolean bool(String k, boolean dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw error(k, v, "true or false");
  }

  String string(String k, String dflt) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof String s) {
      return s;
    }
    throw error(k, v, "a string");
  }

  String oneOf(String k, String dflt, Set<String> allowed) {
    String s = string(k, dflt);
    if (!allowed.contains(s)) {
      throw error(k, "\"" + s + "\"", allowed.toString());
    }
    return s;
  }

  /** An int, or a list of ints with one entry per block; a scalar is repeated. */
  int[] intList(String k, int[] dflt, int n) {
    Object v = m.get(k);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number) {
      int[] r = new int[n];
      java.util.Arrays.fill(r, integer(k, 0));
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

  List<String> stringList(String k, List<String> dflt) {
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

  /** Fields that must be absent or have exactly the listed value (features not implemented). */
  void requireDefault(String k, Object expected) {
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
