package org.draft4j.io.torch;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import org.draft4j.io.ReadChannels;
import org.draft4j.io.SafetensorsDType;
import org.draft4j.io.TensorDecoding;
import org.draft4j.io.TensorStore;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A PyTorch {@code torch.save} file read without Python and without running anything in its pickle
 * (see {@link RestrictedUnpickler} and the allow-list in {@link PickleGlobals}). Two formats:
 * <ul>
 *   <li><b>zip</b> (torch ≥ 1.6): {@code <stem>/data.pkl} (the object tree; persistent ids
 *       {@code ('storage', storage_type, key, location, numel)}), {@code <stem>/data/<key>} (each storage's
 *       raw little-endian bytes, stored uncompressed), {@code <stem>/version}, and in newer files
 *       {@code <stem>/byteorder} ({@code big} is refused). ZIP64 is read, so 4–8 GB checkpoints open;
 *   <li><b>legacy</b> (torch &lt; 1.6, or {@code _use_new_zipfile_serialization=False}): five pickles in a
 *       row (the magic number 0x1950a86a20f9469cfc6c, protocol version 1001, sys_info, the object tree with
 *       persistent ids {@code ('storage', storage_type, key, location, numel, None)}, the list of storage
 *       keys), then for each key in that order an 8-byte little-endian element count and the raw bytes.
 * </ul>
 * Everything is validated on open: the zip directory, every persistent id (a known storage type, a data
 * record of exactly {@code numel × element size} bytes), every tensor's view inside its storage, the
 * storage walk of the legacy format to the last byte. Tensor data is read only when that tensor is read,
 * straight into its array with positional reads, so multi-GB files are never copied into the heap nor held
 * twice; in the zip format the first read of a storage also checks its record's CRC-32.
 *
 * <p>{@link #keys()} are the <b>state dict</b>: the root object if it is a dict of string keys whose
 * values are all tensors; else the root's {@code "state_dict"} entry if that is a string-keyed dict with
 * at least one tensor (PyTorch Lightning, LDM and HPSv2 checkpoints); else the root if it is a string-keyed
 * dict with at least one tensor. Entries of the chosen dict that are not tensors are skipped. Anything
 * else fails on open, listing the root's keys and their kinds. The whole object tree stays readable
 * through {@link #root()} (for {@code "epoch"}, {@code "global_step"}, EMA weights…).
 */
public final class TorchFile implements TensorStore {
  /** The two layouts of {@code torch.save}. */
  public enum Format {
    /** The zip archive of torch ≥ 1.6. */
    ZIP,
    /** The sequence of pickles and raw storages of torch &lt; 1.6. */
    LEGACY
  }

  private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
  private static final long LEGACY_PROTOCOL = 1001;

  private final String source;
  private final FileChannel channel;
  private final Format format;
  private final Map<String, TorchStorage> storages = new LinkedHashMap<>();
  private final Map<String, Long> dataOffsets = new LinkedHashMap<>();
  private final Map<String, Integer> recordCrcs = new LinkedHashMap<>(); // zip only
  private final Set<String> storagesRead = ConcurrentHashMap.newKeySet();
  private final Set<String> storagesVerified = ConcurrentHashMap.newKeySet();
  private final Object root;
  private final Map<String, TorchTensor> tensors;

  private TorchFile(String source, FileChannel ch) throws IOException {
    this.source = source;
    this.channel = ch;
    long size = ch.size();
    ByteBuffer head = FileBytes.read(ch, 0, (int) Math.min(4, size), source, "the first bytes");
    if (head.limit() == 4 && head.getInt(0) == 0x04034b50) {
      format = Format.ZIP;
      root = openZip(size);
    } else if (head.limit() >= 2 && (head.get(0) & 0xff) == 0x80) {
      format = Format.LEGACY;
      root = openLegacy(size);
    } else {
      throw new TorchFormatException(source + ": neither a torch zip file (\"PK\\3\\4\") nor a legacy torch file "
          + "(a protocol-2 pickle, 0x80 0x02) at byte 0");
    }
    validateTensors();
    tensors = Collections.unmodifiableMap(stateDict());
  }

  /** Opens and validates a {@code torch.save} file of either format; the file stays open until {@link #close()}. */
  public static TorchFile open(Path path) {
    return ReadChannels.open(path, ch -> new TorchFile(path.toString(), ch),
        e -> new TorchFormatException(path + ": cannot read (" + e + ")", e));
  }

  // ---- zip format ----

  private Object openZip(long size) {
    Map<String, ZipDirectory.Entry> entries = ZipDirectory.read(channel, size, source);
    List<String> pkls = entries.keySet().stream()
        .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
        .collect(Collectors.toList());
    if (pkls.size() != 1) {
      throw new TorchFormatException(source + ": " + (pkls.isEmpty() ? "no" : pkls.size()) + " <archive>/data.pkl entries"
          + (pkls.isEmpty() ? "" : " " + pkls) + ", expected one (entries: " + firstNames(entries.keySet()) + ")");
    }
    ZipDirectory.Entry pkl = entries.get(pkls.get(0));
    String prefix = pkl.name().substring(0, pkl.name().length() - "data.pkl".length());
    ZipDirectory.Entry version = entries.get(prefix + "version");
    if (version == null) {
      throw new TorchFormatException(source + ": no " + prefix + "version record (every torch zip file has one)");
    }
    String v = smallText(version);
    if (!v.matches("[0-9]{1,9}")) {
      throw new TorchFormatException(source + ": " + version.name() + " is \"" + v + "\", expected a format version number");
    }
    ZipDirectory.Entry order = entries.get(prefix + "byteorder");
    if (order != null) {
      String o = smallText(order);
      if (!o.equals("little")) {
        throw new TorchFormatException(source + ": " + order.name() + " is \"" + o + "\", expected \"little\""
            + (o.equals("big") ? " (big-endian files are not read)" : ""));
      }
    }
    ByteBuffer data = stored(pkl);
    checkCrc(pkl, data);
    RestrictedUnpickler u = new RestrictedUnpickler(data, source + ": " + pkl.name(), (pid, up) -> {
      List<?> t = persistentId(pid, 5, up);
      TorchStorage s = storage(t, up);
      String record = prefix + "data/" + s.key();
      ZipDirectory.Entry e = entries.get(record);
      if (e == null) {
        throw up.fail("storage \"" + s.key() + "\": its record " + record + " is missing");
      }
      requireStored(e);
      if (e.size() != s.nbytes()) {
        throw up.fail("storage \"" + s.key() + "\": record " + record + " has " + e.size() + " bytes, but "
            + s.numel() + " elements of " + s.dtype() + " need " + s.nbytes());
      }
      dataOffsets.put(s.key(), e.dataOffset());
      recordCrcs.put(s.key(), e.crc());
      return s;
    });
    Object r = u.load(0);
    if (u.end() != data.limit()) {
      throw new TorchFormatException(source + ": " + pkl.name() + " has " + (data.limit() - u.end())
          + " bytes after STOP at byte " + (u.end() - 1));
    }
    return r;
  }

  private String smallText(ZipDirectory.Entry e) {
    if (e.size() > 64) {
      throw new TorchFormatException(source + ": " + e.name() + " has " + e.size() + " bytes, expected a short text");
    }
    ByteBuffer b = stored(e);
    checkCrc(e, b);
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return new String(a, StandardCharsets.US_ASCII).trim();
  }

  private void requireStored(ZipDirectory.Entry e) {
    if (e.method() != 0) {
      throw new TorchFormatException(source + ": zip entry \"" + e.name() + "\" is compressed (method " + e.method()
          + "); torch stores entries uncompressed so they can be mapped, and draft4j reads only stored entries");
    }
  }

  private ByteBuffer stored(ZipDirectory.Entry e) {
    requireStored(e);
    return FileBytes.map(channel, e.dataOffset(), e.size(), source, "zip entry \"" + e.name() + "\"");
  }

  private void checkCrc(ZipDirectory.Entry e, ByteBuffer b) {
    CRC32 crc = new CRC32();
    crc.update(b.duplicate());
    if ((int) crc.getValue() != e.crc()) {
      throw new TorchFormatException(source + ": zip entry \"" + e.name() + "\" fails its CRC-32 (0x"
          + Integer.toHexString(e.crc()) + " recorded, 0x" + Long.toHexString(crc.getValue()) + " computed): damaged");
    }
  }

  private static String firstNames(Set<String> names) {
    return names.stream().limit(8).collect(Collectors.joining(", ")) + (names.size() > 8 ? ", …" : "");
  }

  // ---- legacy format ----

  private Object openLegacy(long size) {
    ByteBuffer all = FileBytes.map(channel, 0, Math.min(size, Integer.MAX_VALUE), source, "the legacy pickles");
    RestrictedUnpickler u = new RestrictedUnpickler(all, source + ": file", (pid, up) -> {
      List<?> t = persistentId(pid, 6, up);
      if (t.get(5) != null) {
        throw up.refuse("storage \"" + t.get(2) + "\" is a storage view " + RestrictedUnpickler.describe(t.get(5))
            + " (written only by torch < 0.4)");
      }
      return storage(t, up);
    });
    Object magic = u.load(0);
    if (!LEGACY_MAGIC.equals(magic)) {
      throw new TorchFormatException(source + ": the first pickle is " + RestrictedUnpickler.describe(magic)
          + ", expected torch's magic number 0x1950a86a20f9469cfc6c (not a torch file)");
    }
    Object protocol = u.load(u.end());
    if (!Long.valueOf(LEGACY_PROTOCOL).equals(protocol)) {
      throw new TorchFormatException(source + ": legacy protocol version " + RestrictedUnpickler.describe(protocol)
          + ", expected " + LEGACY_PROTOCOL);
    }
    int sysAt = u.end();
    Object sys = u.load(sysAt);
    if (!(sys instanceof Map<?, ?> info) || !Boolean.TRUE.equals(info.get("little_endian"))) {
      throw new TorchFormatException(source + ": sys_info at byte " + sysAt + " is " + RestrictedUnpickler.describe(sys)
          + (sys instanceof Map<?, ?> m ? " with little_endian " + RestrictedUnpickler.describe(m.get("little_endian")) : "")
          + ", expected little_endian True (big-endian files are not read)");
    }
    Object tree = u.load(u.end());
    int keysAt = u.end();
    Object keys = u.load(keysAt);
    if (!(keys instanceof PyList list)) {
      throw new TorchFormatException(source + ": the storage key list at byte " + keysAt + " is "
          + RestrictedUnpickler.kind(keys) + ", expected a list of str");
    }
    long pos = u.end();
    Set<String> seen = new HashSet<>();
    for (Object k : list) {
      if (!(k instanceof String key) || !seen.add(key)) {
        throw new TorchFormatException(source + ": the storage key list at byte " + keysAt + " holds "
            + RestrictedUnpickler.describe(k) + (k instanceof String ? " twice" : ", expected str keys"));
      }
      TorchStorage s = storages.get(key);
      if (s == null) {
        throw new TorchFormatException(source + ": the storage key list names \"" + key
            + "\", which no persistent id uses (its element size is unknown)");
      }
      if (pos + 8 > size) {
        throw new TorchFormatException(source + ": storage \"" + key + "\": its element count at byte " + pos
            + " is past the end of the file (" + size + " bytes; truncated)");
      }
      long count = FileBytes.read(channel, pos, 8, source, "the element count of storage \"" + key + "\"").getLong(0);
      if (count != s.numel()) {
        throw new TorchFormatException(source + ": storage \"" + key + "\": byte " + pos + " gives " + count
            + " elements, its persistent id " + s.numel());
      }
      long end = pos + 8 + s.nbytes();
      if (end > size) {
        throw new TorchFormatException(source + ": storage \"" + key + "\" needs bytes [" + (pos + 8) + ", " + end
            + "), the file has " + size + " (truncated)");
      }
      dataOffsets.put(key, pos + 8);
      pos = end;
    }
    for (String key : storages.keySet()) {
      if (!seen.contains(key)) {
        throw new TorchFormatException(source + ": storage \"" + key + "\" is used but missing from the storage key list");
      }
    }
    if (pos != size) {
      throw new TorchFormatException(source + ": " + (size - pos) + " bytes after the last storage (ends at byte " + pos
          + ")");
    }
    return tree;
  }

  // ---- both formats ----

  private static List<?> persistentId(Object pid, int len, RestrictedUnpickler u) {
    if (!(pid instanceof List<?> t) || pid instanceof PyList || t.size() != len || !"storage".equals(t.get(0))) {
      throw u.fail("persistent id " + RestrictedUnpickler.describe(pid) + ", expected ('storage', storage_type, key, "
          + "location, numel" + (len == 6 ? ", view_metadata" : "") + ")");
    }
    return t;
  }

  private TorchStorage storage(List<?> t, RestrictedUnpickler u) {
    if (!(t.get(1) instanceof PickledGlobal g) || !PickleGlobals.STORAGE_TYPES.containsKey(g.qualifiedName())) {
      throw u.fail("persistent id " + RestrictedUnpickler.describe(t) + ": storage type is "
          + RestrictedUnpickler.kind(t.get(1)) + ", expected one of " + PickleGlobals.STORAGE_TYPES.keySet());
    }
    if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String location)
        || !(t.get(4) instanceof Long numel) || numel < 0) {
      throw u.fail("persistent id " + RestrictedUnpickler.describe(t) + ", expected a str key, a str location and a "
          + "non-negative int numel");
    }
    SafetensorsDType dtype = PickleGlobals.STORAGE_TYPES.get(g.qualifiedName());
    if (numel > Long.MAX_VALUE / dtype.bytes()) {
      throw u.fail("storage \"" + key + "\": " + numel + " elements of " + dtype + " overflow");
    }
    TorchStorage known = storages.get(key);
    if (known != null) {
      if (known.dtype() != dtype || known.numel() != numel) {
        throw u.fail("storage \"" + key + "\" is named as " + numel + " " + dtype + " elements, earlier as "
            + known.numel() + " " + known.dtype());
      }
      return known;
    }
    TorchStorage s = new TorchStorage(key, dtype, numel, location);
    storages.put(key, s);
    return s;
  }

  /** Checks every tensor reachable from the root lies inside its storage (iteratively: trees may be deep or shared). */
  private void validateTensors() {
    Map<Object, Boolean> seen = new IdentityHashMap<>();
    Deque<Object[]> work = new ArrayDeque<>();
    work.push(new Object[] {root, "root"});
    while (!work.isEmpty()) {
      Object[] w = work.pop();
      Object o = w[0];
      String path = (String) w[1];
      if (o == null || o instanceof String || seen.put(o, Boolean.TRUE) != null) {
        continue;
      }
      if (o instanceof TorchTensor t) {
        extent(t, path);
      } else if (o instanceof Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
          work.push(new Object[] {e.getValue(), path + "[" + RestrictedUnpickler.describe(e.getKey()) + "]"});
        }
      } else if (o instanceof List<?> l) {
        for (int i = 0; i < l.size(); i++) {
          work.push(new Object[] {l.get(i), path + "[" + i + "]"});
        }
      } else if (o instanceof Set<?> s) {
        for (Object e : s) {
          work.push(new Object[] {e, path + "{}"});
        }
      } else if (o instanceof PickledObject p) {
        work.push(new Object[] {p.args(), path + ".args"});
        work.push(new Object[] {p.state(), path + ".state"});
      }
    }
  }

  /** The last element index the view touches, or -1 for an empty tensor; an error when it is past the storage. */
  private long extent(TorchTensor t, String what) {
    long[] shape = t.shape();
    long[] stride = t.stride();
    long last = t.storageOffset();
    try {
      long numel = 1;
      for (int i = 0; i < shape.length; i++) {
        numel = Math.multiplyExact(numel, shape[i]);
        if (shape[i] > 0) {
          last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
        }
      }
      if (numel == 0) {
        return -1;
      }
      Math.multiplyExact(last + 1, (long) t.dtype().bytes());
    } catch (ArithmeticException e) {
      throw new TorchFormatException(source + ": " + what + ": shape " + Arrays.toString(shape) + " with stride "
          + Arrays.toString(stride) + " overflows");
    }
    if (last >= t.storage().numel()) {
      throw new TorchFormatException(source + ": " + what + ": offset " + t.storageOffset() + ", shape "
          + Arrays.toString(shape) + " and stride " + Arrays.toString(stride) + " reach element " + last
          + ", but storage \"" + t.storage().key() + "\" has " + t.storage().numel());
    }
    return last;
  }

  private Map<String, TorchTensor> stateDict() {
    if (root instanceof Map<?, ?> m && stringKeys(m) && m.values().stream().allMatch(v -> v instanceof TorchTensor)) {
      return tensorsOf(m);
    }
    if (root instanceof Map<?, ?> m && m.get("state_dict") instanceof Map<?, ?> sd && stringKeys(sd)
        && sd.values().stream().anyMatch(v -> v instanceof TorchTensor)) {
      return tensorsOf(sd);
    }
    if (root instanceof Map<?, ?> m && stringKeys(m) && m.values().stream().anyMatch(v -> v instanceof TorchTensor)) {
      return tensorsOf(m);
    }
    String found = root instanceof Map<?, ?> m
        ? "a dict of {" + m.entrySet().stream().limit(20)
            .map(e -> RestrictedUnpickler.describe(e.getKey()) + ": " + RestrictedUnpickler.kind(e.getValue()))
            .collect(Collectors.joining(", ")) + (m.size() > 20 ? ", … (" + m.size() + " keys)" : "") + "}"
        : RestrictedUnpickler.kind(root);
    throw new TorchFormatException(source + ": no state dict: the root is " + found + "; expected a dict of str to "
        + "tensors, or one under \"state_dict\"");
  }

  private static boolean stringKeys(Map<?, ?> m) {
    return m.keySet().stream().allMatch(k -> k instanceof String);
  }

  private static Map<String, TorchTensor> tensorsOf(Map<?, ?> m) {
    Map<String, TorchTensor> r = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (e.getValue() instanceof TorchTensor t) {
        r.put((String) e.getKey(), t);
      }
    }
    return r;
  }

  // ---- reading ----

  /** The file's path, as named in error messages. */
  @Override
  public String source() {
    return source;
  }

  /** Which layout the file has. */
  public Format format() {
    return format;
  }

  /** The state dict's tensor keys in the file's order (see the class comment for which dict that is). */
  @Override
  public Set<String> keys() {
    return tensors.keySet();
  }

  /**
   * The whole object tree, read-only: {@link Map} (dict, OrderedDict), {@link List} (list, tuple, torch.Size),
   * {@link Set}, {@link String}, {@link Long} or {@link BigInteger}, {@link Double}, {@link Boolean}, {@code byte[]},
   * null, {@link TorchTensor}, {@link TorchStorage}, and the inert {@link PickledGlobal} and {@link PickledObject}.
   */
  public Object root() {
    return root;
  }

  /** The tensor reference of state-dict key {@code key}; a missing key is an error naming the file and the key. */
  public TorchTensor tensor(String key) {
    TorchTensor t = tensors.get(key);
    if (t == null) {
      throw new TorchFormatException(source + ": no tensor \"" + key + "\" in the state dict (" + tensors.size()
          + " tensors)");
    }
    return t;
  }

  @Override
  public SafetensorsDType dtype(String key) {
    return tensor(key).dtype();
  }

  @Override
  public long[] shape(String key) {
    return tensor(key).shape();
  }

  @Override
  public INDArray get(String key, DataType type) {
    return read(tensor(key), type, "tensor \"" + key + "\"");
  }

  /**
   * The values of any tensor of this file's tree (an EMA copy, an optimizer's state…) as {@code FLOAT} or
   * {@code DOUBLE}: a contiguous one read straight into its array, a strided view gathered through its strides
   * from the mapped storage region; F16, BF16 and integers widen exactly
   * as {@link TensorDecoding#decode} does.
   */
  public INDArray read(TorchTensor t, DataType type) {
    return read(t, type, t.toString());
  }

  private INDArray read(TorchTensor t, DataType type, String what) {
    checkArgument(type == DataType.FLOAT || type == DataType.DOUBLE, "%s: %s: type %s, expected FLOAT or DOUBLE",
        source, what, type);
    checkArgument(storages.get(t.storage().key()) == t.storage(), "%s: %s belongs to another file", source, what);
    checkState(channel.isOpen(), "%s: closed; cannot read %s", source, what);
    long[] shape = t.shape();
    long numel = t.numel();
    if (numel > Integer.MAX_VALUE) {
      throw new TorchFormatException(source + ": " + what + " has " + numel + " elements, more than one array holds");
    }
    if (numel == 0) {
      return Nd4j.create(type, shape);
    }
    int es = t.dtype().bytes();
    long first = t.storageOffset();
    long last = extent(t, what);
    long base = dataOffsets.get(t.storage().key());
    verifyRecord(t.storage(), base);
    storagesRead.add(t.storage().key());
    if (t.isContiguous()) { // read straight into the array, as SafetensorsFile does
      return TensorDecoding.read(channel, base + first * es, t.dtype(), shape, type, source + ": " + what);
    }
    ByteBuffer region = FileBytes.map(channel, base + first * es, (last - first + 1) * es, source, what);
    if ((long) numel * es > Integer.MAX_VALUE) {
      throw new TorchFormatException(source + ": " + what + " is a strided view of " + numel * es + " bytes, more than"
          + " one gather buffer holds (" + Integer.MAX_VALUE + ")");
    }
    byte[] out = new byte[(int) numel * es];
    long[] stride = t.stride();
    int d = shape.length;
    long[] idx = new long[d];
    long off = 0;
    int inner = (int) shape[d - 1];
    long innerStride = stride[d - 1] * es;
    for (int o = 0; o < out.length; o += inner * es) {
      long p = off * es;
      for (int j = 0; j < inner; j++, p += innerStride) {
        region.get((int) p, out, o + j * es, es);
      }
      for (int k = d - 2; k >= 0; k--) { // advance the outer index, odometer-style
        idx[k]++;
        off += stride[k];
        if (idx[k] < shape[k]) {
          break;
        }
        off -= idx[k] * stride[k];
        idx[k] = 0;
      }
    }
    return TensorDecoding.decode(ByteBuffer.wrap(out), t.dtype(), shape, type);
  }

  /**
   * Checks a zip storage record's CRC-32 the first time one of its tensors is read (one pass over bytes
   * that are read anyway), so a damaged record or a shifted data offset never yields silent garbage. The
   * legacy format has no checksums.
   */
  private void verifyRecord(TorchStorage s, long base) {
    Integer want = recordCrcs.get(s.key());
    if (want == null || storagesVerified.contains(s.key())) {
      return;
    }
    CRC32 crc = new CRC32();
    long chunk = 1L << 23; // positional reads, not a map: mapped pages would count in resident memory
    for (long off = 0; off < s.nbytes(); off += chunk) {
      crc.update(FileBytes.read(channel, base + off, (int) Math.min(chunk, s.nbytes() - off), source,
          "storage \"" + s.key() + "\""));
    }
    if ((int) crc.getValue() != want) {
      throw new TorchFormatException(source + ": storage record \"" + s.key() + "\" fails its CRC-32 (0x"
          + Integer.toHexString(want) + " recorded, 0x" + Long.toHexString(crc.getValue()) + " computed): damaged");
    }
    storagesVerified.add(s.key());
  }

  /** The keys of the storages whose bytes {@link #read} has read so far (to test that reading is lazy). */
  Set<String> storagesRead() {
    return Collections.unmodifiableSet(storagesRead);
  }

  /** Where storage {@code key}'s bytes start in the file (for tests that damage files in known places). */
  long dataOffset(String key) {
    return dataOffsets.get(key);
  }

  /** Every storage of the file, by key, in the order the object tree first names them. */
  public Map<String, TorchStorage> storages() {
    return Collections.unmodifiableMap(storages);
  }

  @Override
  public void close() {
    ReadChannels.closeQuietly(channel);
  }

  @Override
  public String toString() {
    return "TorchFile(" + source + ", " + format + ", " + tensors.size() + " tensors, " + storages.size() + " storages)";
  }
}
