package org.draft4j.io.torch;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.RandomAccess;

/** A Python {@code list} of the object tree: read-only to callers (only the unpickler appends). */
final class PyList extends AbstractList<Object> implements RandomAccess {
  private final ArrayList<Object> items = new ArrayList<>();

  void append(Object o) {
    items.add(o);
  }

  @Override
  public Object get(int index) {
    return items.get(index);
  }

  @Override
  public int size() {
    return items.size();
  }
}
