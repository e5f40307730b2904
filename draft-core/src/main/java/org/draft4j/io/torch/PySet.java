package org.draft4j.io.torch;

import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;

/** A Python {@code set} of the object tree: insertion order, read-only to callers. */
final class PySet extends AbstractSet<Object> {
  private final LinkedHashSet<Object> items = new LinkedHashSet<>();

  void add0(Object o) {
    items.add(o);
  }

  @Override
  public boolean contains(Object o) {
    return items.contains(o);
  }

  @Override
  public Iterator<Object> iterator() {
    return Collections.unmodifiableSet(items).iterator();
  }

  @Override
  public int size() {
    return items.size();
  }
}
