package org.draft4j.io.torch;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A Python {@code dict} or {@code collections.OrderedDict} of the object tree: insertion order, read-only
 * to callers (only the unpickler fills it).
 */
final class PyDict extends AbstractMap<Object, Object> {
  private final LinkedHashMap<Object, Object> map = new LinkedHashMap<>();
  private final boolean ordered;

  PyDict(boolean ordered) {
    this.ordered = ordered;
  }

  /** Whether it was built by {@code collections.OrderedDict} (which, unlike dict, takes BUILD state). */
  boolean isOrderedDict() {
    return ordered;
  }

  void set(Object key, Object value) {
    map.put(key, value);
  }

  @Override
  public Object get(Object key) {
    return map.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return map.containsKey(key);
  }

  @Override
  public int size() {
    return map.size();
  }

  @Override
  public Set<Map.Entry<Object, Object>> entrySet() {
    return Collections.unmodifiableMap(map).entrySet();
  }
}
