package org.draft4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reading and writing whole safetensors files. See {@link SafetensorsFile} for the format. */
public final class Safetensors {
  private Safetensors() {}

  /** Reads every tensor of a file as float32. */
  public static Map<String, INDArray> read(Path path) {
    try (SafetensorsFile f = SafetensorsFile.open(path)) {
      return f.readAll();
    }
  }

  /**
   * Writes tensors (FLOAT as F32, DOUBLE as F64, anything else converted to F32) and string
   * metadata, plus {@code draft4j.format} and {@code draft4j.data_sha256} (SHA-256 of the canonical
   * header and the data, verified on read so corrupted names, shapes, metadata or data are reported
   * instead of returned; a file bearing draft4j's marks without a valid checksum is refused). The file
   * appears atomically ({@link AtomicFiles}: temporary sibling, fsync, rename), so a crash or a write
   * error mid-write leaves any previous file intact.
   */
  public static void write(Path path, Map<String, INDArray> tensors, Map<String, String> metadata) {
    write(path, tensors, metadata, SafetensorsDType.F32);
  }

  /**
   * As {@link #write(Path, Map, Map)}, storing floating tensors as {@code floatType}: F32, or F16 /
   * BF16 (each float rounded to the nearest representable value, ties to even, as PyTorch's
   * {@code .half()} / {@code .bfloat16()} round; F16 overflows to ±∞). DOUBLE tensors stay F64.
   */
  public static void write(Path path, Map<String, INDArray> tensors, Map<String, String> metadata,
      SafetensorsDType floatType) {
    if (floatType != SafetensorsDType.F32 && floatType != SafetensorsDType.F16 && floatType != SafetensorsDType.BF16) {
      throw new IllegalArgumentException("floatType = " + floatType + ": allowed F32, F16, BF16");
    }
    Map<String, INDArray> sorted = new TreeMap<>(tensors);
    Map<String, Object> header = new LinkedHashMap<>();
    // two passes, one tensor in memory at a time: header entries + checksum, then the bytes
    Map<String, TensorInfo> infos = new TreeMap<>();
    long off = 0;
    for (Map.Entry<String, INDArray> e : sorted.entrySet()) {
      SafetensorsDType dt = e.getValue().dataType() == DataType.DOUBLE ? SafetensorsDType.F64 : floatType;
      long len = e.getValue().length() * dt.bytes();
      infos.put(e.getKey(), new TensorInfo(e.getKey(), dt, e.getValue().shape(), off, off + len));
      off += len;
    }
    Map<String, String> meta = new LinkedHashMap<>();
    if (metadata != null) {
      meta.putAll(metadata);
    }
    meta.remove(SafetensorsFile.CHECKSUM_KEY);
    meta.put(SafetensorsFile.FORMAT_KEY, SafetensorsFile.FORMAT);
    java.security.MessageDigest sha = sha256();
    sha.update(canonicalHeader(infos, meta));
    for (INDArray a : sorted.values()) {
      sha.update(bytes(a, floatType));
    }
    meta.put(SafetensorsFile.CHECKSUM_KEY, java.util.HexFormat.of().formatHex(sha.digest()));
    header.put("__metadata__", meta);
    for (TensorInfo t : infos.values()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", t.dtype().name());
      entry.put("shape", t.shape());
      entry.put("data_offsets", List.of(t.begin(), t.end()));
      header.put(t.name(), entry);
    }
    byte[] hdr = Json.write(header).getBytes(StandardCharsets.UTF_8);
    int pad = (8 - hdr.length % 8) % 8;
    try {
      AtomicFiles.write(path, out -> {
        ByteBuffer lb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hdr.length + pad);
        out.write(lb.array());
        out.write(hdr);
        for (int i = 0; i < pad; i++) {
          out.write(' ');
        }
        for (INDArray a : sorted.values()) {
          out.write(bytes(a, floatType));
        }
      });
    } catch (IOException e) {
      throw new SafetensorsException(e.getMessage(), e);
    }
  }

  /** The header as hashed by the checksum: tensor entries sorted by key, then metadata sorted, without the checksum. */
  static byte[] canonicalHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    StringBuilder b = new StringBuilder();
    new TreeMap<>(tensors).forEach((k, t) -> b.append(k).append('\0').append(t.dtype()).append('\0')
        .append(java.util.Arrays.toString(t.shape())).append('\0').append(t.begin()).append('\0').append(t.end())
        .append('\n'));
    new TreeMap<>(metadata).forEach((k, v) -> {
      if (!k.equals(SafetensorsFile.CHECKSUM_KEY)) {
        b.append(k).append('\0').append(v).append('\n');
      }
    });
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  static java.security.MessageDigest sha256() {
    try {
      return java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] bytes(INDArray a, SafetensorsDType floatType) {
    INDArray c = a.dataType() == DataType.DOUBLE ? a.dup('c') : a.castTo(DataType.FLOAT).dup('c');
    int n = (int) c.length();
    ByteBuffer bb;
    if (c.dataType() == DataType.DOUBLE) {
      bb = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
      bb.asDoubleBuffer().put(c.data().asDouble());
    } else if (floatType == SafetensorsDType.F32) {
      bb = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
      bb.asFloatBuffer().put(c.data().asFloat());
    } else {
      float[] f = c.data().asFloat();
      bb = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        bb.putShort(2 * i, floatType == SafetensorsDType.F16 ? TensorDecoding.floatToHalf(f[i])
            : TensorDecoding.floatToBfloat16(f[i]));
      }
    }
    return bb.array();
  }
}
