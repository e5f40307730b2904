package org.draft4j.io;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The element types draft4j reads from safetensors; all are converted to float32 or float64 on load. */
public enum SafetensorsDType {
  F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

  private final int bytes;

  SafetensorsDType(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** Parses the header's dtype string, naming the supported ones when it is unknown. */
  public static SafetensorsDType parse(String s, String where) {
    for (SafetensorsDType d : values()) {
      if (d.name().equals(s)) {
        return d;
      }
    }
    throw new SafetensorsException(where + ": unknown dtype \"" + s + "\"; supported: "
        + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
  }
}
