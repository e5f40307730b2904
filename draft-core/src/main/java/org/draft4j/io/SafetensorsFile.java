package org.draft4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A read-only view of a safetensors file: an 8-byte little-endian header length N, N bytes of
 * JSON header ({@code {"key": {"dtype","shape","data_offsets"}, "__metadata__": {...}}}), then the
 * data. The header is fully validated on open (offsets in range, byte counts matching shapes, data
 * covered without gaps or overlaps, and the data checksum when draft4j wrote one); tensors are read one at a time on {@link #get}, so
 * multi-GB files are never copied whole.
 */
public final class SafetensorsFile implements TensorStore {
  /** Metadata key of the data-section SHA-256 that draft4j writes and verifies. */
  public static final String CHECKSUM_KEY = "draft4j.data_sha256";
  /** A second marker draft4j writes into every file, so that one damaged key cannot hide the checksum. */
  public static final String FORMAT_KEY = "draft4j.format";
  /** The value of {@link #FORMAT_KEY}. */
  public static final String FORMAT = "safetensors+sha256/1";
  private static final long MAX_HEADER = 100L << 20;
  private final String source;
  private final FileChannel channel; // null when backed by bytes
  private final ByteBuffer bytes; // null when backed by a file
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(String source, FileChannel channel, ByteBuffer bytes, long size, boolean requireChecksum) {
    this.source = source;
    this.channel = channel;
    this.bytes = bytes;
    if (size < 8) {
      throw fail("file is " + size + " bytes, shorter than the 8-byte header length");
    }
    long n = readBuffer(0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n < 2 || n > MAX_HEADER) {
      throw fail("header length " + n + " is not within [2, " + MAX_HEADER + "]");
    }
    if (8 + n > size) {
      throw fail("header length " + n + " runs past the end of the file (" + size + " bytes)");
    }
    dataStart = 8 + n;
    ByteBuffer hb = readBuffer(8, (int) n);
    byte[] hdr = new byte[(int) n];
    hb.get(hdr);
    Map<String, Object> json;
    try {
      json = Json.parseObject(new String(hdr, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw fail("header is not valid JSON (" + e.getMessage() + ")");
    }
    Map<String, TensorInfo> t = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : json.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        if (!(e.getValue() instanceof Map<?, ?> m)) {
          throw fail("__metadata__ is not an object");
        }
        for (Map.Entry<?, ?> me : m.entrySet()) {
          if (!(me.getValue() instanceof String)) {
            throw fail("__metadata__ value of \"" + me.getKey() + "\" is not a string");
          }
          meta.put((String) me.getKey(), (String) me.getValue());
        }
        continue;
      }
      t.put(e.getKey(), parseEntry(e.getKey(), e.getValue()));
    }
    long dataLen = size - dataStart;
    List<TensorInfo> sorted = new ArrayList<>(t.values());
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expect = 0;
    for (TensorInfo ti : sorted) {
      if (ti.begin() != expect) {
        throw fail("tensor \"" + ti.name() + "\" starts at byte " + ti.begin() + " but the previous one ends at "
            + expect + (ti.begin() < expect ? " (overlap)" : " (gap)"));
      }
      expect = ti.end();
    }
    if (expect > dataLen) {
      throw fail("data is truncated: the header needs " + expect + " data bytes, the file has " + dataLen);
    }
    if (expect < dataLen) {
      throw fail("file has " + (dataLen - expect) + " trailing bytes not covered by any tensor");
    }
    this.tensors = Collections.unmodifiableMap(t);
    this.metadata = Collections.unmodifiableMap(meta);
    String want = meta.get(CHECKSUM_KEY);
    if (want == null) {
      String claim = draft4jTrace(meta);
      if (claim != null) {
        throw fail("the metadata carries draft4j's marks (" + claim + ") but no " + CHECKSUM_KEY
            + ": the file was written by draft4j and is damaged");
      }
      if (requireChecksum) {
        throw fail("no " + CHECKSUM_KEY + " in the metadata: not a file draft4j wrote, or its metadata is damaged");
      }
    }
    if (want != null) {
      java.security.MessageDigest sha = Safetensors.sha256();
      sha.update(Safetensors.canonicalHeader(t, meta));
      long chunk = 1 << 23;
      for (long off = 0; off < dataLen; off += chunk) {
        sha.update(readBuffer(dataStart + off, (int) Math.min(chunk, dataLen - off)));
      }
      String got = java.util.HexFormat.of().formatHex(sha.digest());
      if (!got.equalsIgnoreCase(want)) {
        throw fail("data checksum mismatch (" + CHECKSUM_KEY + " " + want + ", data hashes to " + got
            + "): the file is corrupted");
      }
    }
  }

  /**
   * Something in the metadata that only draft4j writes, possibly damaged: a key within a few edits
   * of draft4j's keys (or of their {@code draft4j.} prefix), or a value shaped like a SHA-256 under a
   * key within 8 edits of the checksum's. Null when there is none (a file from another tool, whose
   * own hashes, such as kohya's {@code sshs_model_hash}, are not mistaken for draft4j's).
   */
  static String draft4jTrace(Map<String, String> meta) {
    for (Map.Entry<String, String> e : meta.entrySet()) {
      String k = e.getKey().toLowerCase(java.util.Locale.ROOT);
      String prefix = k.length() >= 8 ? k.substring(0, 8) : k;
      if (k.contains("draft4j") || k.contains("4j.") || edits(prefix, "draft4j.") <= 3 || edits(k, CHECKSUM_KEY) <= 5
          || edits(k, FORMAT_KEY) <= 4) {
        return "key \"" + e.getKey() + "\"";
      }
      String v = e.getValue();
      // a checksum-like value counts only under a key a few flips from draft4j's: other tools store
      // SHA-256s too (kohya's sshs_model_hash, modelspec.hash_sha256), and their files must open
      if (v.length() >= 60 && v.length() <= 68 && v.chars().filter(ch -> Character.digit(ch, 16) >= 0).count() >= 56
          && edits(k, CHECKSUM_KEY) <= 8) {
        return "a checksum-like value under \"" + e.getKey() + "\"";
      }
      if (edits(v, FORMAT) <= 4) {
        return "value \"" + v + "\"";
      }
    }
    return null;
  }

  /** Levenshtein distance (small strings only). */
  private static int edits(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 8) {
      return 99;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private TensorInfo parseEntry(String key, Object v) {
    String where = source + ": tensor \"" + key + "\"";
    if (!(v instanceof Map<?, ?> m)) {
      throw new SafetensorsException(where + ": header entry is not an object");
    }
    if (!(m.get("dtype") instanceof String ds)) {
      throw new SafetensorsException(where + ": missing string field \"dtype\"");
    }
    SafetensorsDType dt = SafetensorsDType.parse(ds, where);
    if (!(m.get("shape") instanceof List<?> sl)) {
      throw new SafetensorsException(where + ": missing array field \"shape\"");
    }
    long[] shape = new long[sl.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(sl.get(i) instanceof Long d) || d < 0) {
        throw new SafetensorsException(where + ": shape entry " + i + " is not a non-negative integer: " + sl.get(i));
      }
      shape[i] = d;
    }
    if (!(m.get("data_offsets") instanceof List<?> ol) || ol.size() != 2
        || !(ol.get(0) instanceof Long b) || !(ol.get(1) instanceof Long en)) {
      throw new SafetensorsException(where + ": \"data_offsets\" must be two integers");
    }
    if (b < 0 || en < b) {
      throw new SafetensorsException(where + ": bad data_offsets [" + b + ", " + en + "]");
    }
    TensorInfo ti = new TensorInfo(key, dt, shape, b, en);
    long need;
    try {
      need = Math.multiplyExact(ti.numel(), (long) dt.bytes());
    } catch (ArithmeticException e) {
      throw new SafetensorsException(where + ": shape " + java.util.Arrays.toString(shape) + " overflows");
    }
    if (need != en - b) {
      throw new SafetensorsException(where + ": shape " + java.util.Arrays.toString(shape) + " of " + dt + " needs "
          + need + " bytes but data_offsets give " + (en - b));
    }
    return ti;
  }

  private SafetensorsException fail(String what) {
    return new SafetensorsException(source + ": " + what);
  }

  private ByteBuffer readBuffer(long offset, int len) {
    if (bytes != null) {
      ByteBuffer d = bytes.duplicate();
      d.position((int) offset);
      d.limit((int) offset + len);
      return d.slice().order(ByteOrder.LITTLE_ENDIAN);
    }
    try {
      // a positional read, not a map: mapped pages would count in the process's resident memory
      ByteBuffer b = ByteBuffer.allocate(len);
      while (b.hasRemaining()) {
        if (channel.read(b, offset + b.position()) < 0) {
          throw fail("file ends at byte " + (offset + b.position()) + ", inside bytes [" + offset + ", "
              + (offset + len) + ")");
        }
      }
      return b.flip().order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new SafetensorsException(source + ": cannot map bytes [" + offset + ", " + (offset + len) + ")", e);
    }
  }

  /**
   * Opens and validates a file; the file stays open (tensors read on demand) until {@link #close()}. A file
   * with draft4j's checksum is verified; one whose metadata bears draft4j's marks without a valid
   * checksum is refused; files from other tools (no marks) open with header validation only.
   */
  public static SafetensorsFile open(Path path) {
    return open(path, false);
  }

  /**
   * Opens a file draft4j wrote (a checkpoint, an adapter it saved): as {@link #open(Path)}, and a
   * file without draft4j's checksum is refused, naming it.
   */
  public static SafetensorsFile openVerified(Path path) {
    return open(path, true);
  }

  private static SafetensorsFile open(Path path, boolean requireChecksum) {
    return ReadChannels.open(path, ch -> new SafetensorsFile(path.toString(), ch, null, ch.size(), requireChecksum),
        e -> new SafetensorsException(path + ": cannot open (" + e + ")", e));
  }

  /** Reads and validates a file held in memory (for example a classpath resource). */
  public static SafetensorsFile fromBytes(byte[] data, String source) {
    return new SafetensorsFile(source, null, ByteBuffer.wrap(data), data.length, false);
  }

  /** Reads a whole stream, then validates it as {@link #fromBytes}. */
  public static SafetensorsFile fromStream(InputStream in, String source) throws IOException {
    return fromBytes(in.readAllBytes(), source);
  }

  /** Where this file came from (path or resource name), as used in error messages. */
  @Override
  public String source() {
    return source;
  }

  /** Tensor keys in header order. */
  @Override
  public Set<String> keys() {
    return tensors.keySet();
  }

  /** Header entry of a key, or an exception naming the file and the key. */
  public TensorInfo info(String key) {
    TensorInfo ti = tensors.get(key);
    if (ti == null) {
      throw fail("missing tensor \"" + key + "\" (" + tensors.size() + " tensors present)");
    }
    return ti;
  }

  /** Whether the file holds a tensor of that key. */
  @Override
  public boolean contains(String key) {
    return tensors.containsKey(key);
  }

  @Override
  public SafetensorsDType dtype(String key) {
    return info(key).dtype();
  }

  @Override
  public long[] shape(String key) {
    return info(key).shape().clone();
  }

  /** The {@code __metadata__} string map (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Loads a tensor as float32, converting F16, BF16, F64 and integer types. */
  @Override
  public INDArray get(String key) {
    return get(key, DataType.FLOAT);
  }

  /** Loads a tensor converted to {@code FLOAT} or {@code DOUBLE}. */
  @Override
  public INDArray get(String key, DataType type) {
    TensorInfo ti = info(key);
    long n = ti.numel();
    if (n > Integer.MAX_VALUE) {
      throw fail("tensor \"" + key + "\" has " + n + " elements, more than one array can hold");
    }
    if (channel != null) {
      return TensorDecoding.read(channel, dataStart + ti.begin(), ti.dtype(), ti.shape(), type,
          source + ": tensor \"" + key + "\"");
    }
    ByteBuffer b = readBuffer(dataStart + ti.begin(), (int) (ti.end() - ti.begin()));
    return TensorDecoding.decode(b, ti.dtype(), ti.shape(), type);
  }

  /** Loads every tensor as float32, in header order. */
  @Override
  public Map<String, INDArray> readAll() {
    Map<String, INDArray> m = new LinkedHashMap<>();
    for (String k : tensors.keySet()) {
      m.put(k, get(k));
    }
    return m;
  }

  @Override
  public void close() {
    ReadChannels.closeQuietly(channel);
  }
}
