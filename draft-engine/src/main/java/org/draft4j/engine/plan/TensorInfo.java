package org.draft4j.engine.plan;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What a plan knows about one tensor: where it lives, its shape and its lifetime in the schedule. */
final class TensorInfo {
  /** Where a tensor's memory comes from. */
  enum Kind {
    /** Fed per call; copied into the arena at the start of a run. */
    INPUT,
    /** A graph constant or variable, bound by reference (in-place updates are seen). */
    BOUND,
    /** Depends only on shapes (shape_of, ones_as, ...): computed once while tracing. */
    STATIC,
    /** An intermediate in the worker's arena. */
    ARENA,
    /** An intermediate of a type the arena does not hold (ints, booleans): owned by the plan. */
    OWNED,
    /** A view of another tensor (no memory of its own). */
    VIEW
  }

  final String name;
  Kind kind;
  DataType type;
  long[] shape;
  /** Persistent value: BOUND, STATIC, and VIEWs of persistent tensors. */
  INDArray value;
  /** For a VIEW of an arena or input tensor: that tensor's name; null for views of persistent tensors. */
  String root;
  /** For a VIEW: element offset from the root's first element, strides and order. */
  long viewOffset;
  long[] viewStrides;
  char viewOrder;
  /** Schedule position of the producing node (-1 for inputs) and of the last reader. */
  int def = -1;
  int last = -1;
  /** Element offset in the arena buffer of its type (ARENA and INPUT). */
  long arenaOffset = -1;

  TensorInfo(String name) {
    this.name = name;
  }

  long length() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  boolean persistent() {
    return kind == Kind.BOUND || kind == Kind.STATIC || kind == Kind.VIEW && root == null;
  }

  @Override
  public String toString() {
    return name + " " + kind + " " + type + java.util.Arrays.toString(shape) + " [" + def + ", " + last + "]";
  }
}
