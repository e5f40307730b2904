package org.draft4j.io.torch;

import com.google.common.collect.ImmutableMap;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader for the binary opcodes of protocols 2–5 that {@code torch.save} writes, building
 * plain Java data: dict → {@link java.util.Map}, list → {@link List}, tuple → unmodifiable {@link List},
 * set → {@link java.util.Set}, int → {@link Long} (or {@link BigInteger} past 64 bits), float →
 * {@link Double}, str → {@link String}, bytes → {@code byte[]}, bool, None → null. Globals resolve
 * only through {@link PickleGlobals}' allow-list; a persistent id goes to the caller's
 * {@link PersistentLoader}. Any other opcode (text protocols 0/1, {@code INST}, {@code OBJ},
 * {@code EXT*}, out-of-band buffers, {@code NEWOBJ_EX}…) is refused naming it and its offset. The
 * reader never recurses on the data, so no pickle can overflow the stack, and every opcode advances,
 * so none can loop. Torch writes protocol 2 only (its DEFAULT_PROTOCOL), so no text opcode is needed.
 */
final class RestrictedUnpickler {
  /** Resolves a {@code BINPERSID} id (a tuple) to a storage; errors go through {@link #fail}. */
  interface PersistentLoader {
    Object load(Object pid, RestrictedUnpickler u);
  }

  /** Longest str/bytes item read (torch writes names and small metadata; a numpy array's bytes fit). */
  static final int MAX_ITEM = 256 << 20;
  private static final Object MARK = new Object();

  private final ByteBuffer buf;
  private final String where;
  private final PersistentLoader loader;
  private final ArrayList<Object> stack = new ArrayList<>();
  private final ArrayList<Integer> marks = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();
  private int pos;
  private int op;

  /**
   * @param buf the bytes, read at absolute positions (offsets in messages are positions in it)
   * @param where the file and part of it, for messages ({@code "x.pt: archive/data.pkl"})
   * @param loader the persistent-id resolver, or null where none may occur
   */
  RestrictedUnpickler(ByteBuffer buf, String where, PersistentLoader loader) {
    this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.where = where;
    this.loader = loader;
  }

  /** The error for the opcode being read, naming the file part and its byte offset. */
  TorchFormatException fail(String what) {
    return new TorchFormatException(where + " byte " + op + ": " + what);
  }

  /** A refusal (a forbidden global or opcode) at the opcode being read. */
  PickleRefusedException refuse(String what) {
    return new PickleRefusedException(where + " byte " + op + ": " + what
        + " (draft4j reads only tensors and inert data from pickles and never runs code)");
  }

  /** Reads one pickle starting at {@code start}; {@link #end()} is then the position after its STOP. */
  Object load(int start) {
    pos = start;
    stack.clear();
    marks.clear();
    memo.clear();
    try {
      while (true) {
        op = pos;
        if (pos >= buf.limit()) {
          throw fail("the pickle ends without STOP (" + buf.limit() + " bytes)");
        }
        int code = buf.get(pos++) & 0xff;
        if (code == '.') {
          if (stack.size() != 1 || !marks.isEmpty()) {
            throw fail("STOP with " + stack.size() + " values and " + marks.size() + " marks on the stack, expected one value");
          }
          Object v = stack.get(0);
          if (v == MARK) {
            throw fail("STOP with a mark on the stack");
          }
          return v;
        }
        step(code);
      }
    } catch (TorchFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new TorchFormatException(where + " byte " + op + ": malformed pickle (" + e + ")", e);
    }
  }

  /** The position after the last pickle's STOP. */
  int end() {
    return pos;
  }

  private void step(int code) {
    switch (code) {
      case 0x80 -> { // PROTO
        int v = u8();
        if (v < 2 || v > 5) {
          throw refuse("pickle protocol " + v + " (read: 2 to 5)");
        }
      }
      case 0x95 -> { // FRAME: a length hint only
        long n = u64();
        if (n < 0 || n > buf.limit() - pos) {
          throw fail("FRAME of " + n + " bytes runs past the end (" + (buf.limit() - pos) + " left)");
        }
      }
      case '(' -> {
        marks.add(stack.size());
        stack.add(MARK);
      }
      case '0' -> pop();
      case '1' -> popMark();
      case '2' -> push(peek());
      case '}' -> push(new PyDict(false));
      case ']' -> push(new PyList());
      case ')' -> push(Collections.emptyList());
      case 0x8f -> push(new PySet());
      case 't' -> push(tuple(popMark()));
      case 0x85 -> push(tuple(Collections.singletonList(pop())));
      case 0x86 -> {
        Object b = pop();
        Object a = pop();
        push(tuple(Arrays.asList(a, b)));
      }
      case 0x87 -> {
        Object c = pop();
        Object b = pop();
        Object a = pop();
        push(tuple(Arrays.asList(a, b, c)));
      }
      case 'l' -> {
        PyList l = new PyList();
        popMark().forEach(l::append);
        push(l);
      }
      case 'd' -> {
        List<Object> items = popMark();
        PyDict d = new PyDict(false);
        setItems(d, items);
        push(d);
      }
      case 'a' -> {
        Object v = pop();
        list(peek(), "APPEND").append(v);
      }
      case 'e' -> {
        List<Object> items = popMark();
        PyList l = list(peek(), "APPENDS");
        items.forEach(l::append);
      }
      case 's' -> {
        Object v = pop();
        Object k = pop();
        setItems(dict(peek(), "SETITEM"), Arrays.asList(k, v));
      }
      case 'u' -> {
        List<Object> items = popMark();
        setItems(dict(peek(), "SETITEMS"), items);
      }
      case 0x90 -> { // ADDITEMS
        List<Object> items = popMark();
        if (!(peek() instanceof PySet s)) {
          throw fail("ADDITEMS on " + kind(peek()) + ", expected a set");
        }
        for (Object o : items) {
          checkHashable(o, "set element");
          s.add0(o);
        }
      }
      case 'J' -> push((long) i32());
      case 'K' -> push((long) u8());
      case 'M' -> push((long) (u8() | (u8() << 8)));
      case 0x8a -> push(longOf(u8()));
      case 0x8b -> {
        long n = i32();
        if (n < 0 || n > 64) {
          throw fail("LONG4 of " + n + " bytes (torch files use at most 64)");
        }
        push(longOf((int) n));
      }
      case 'G' -> {
        need(8);
        long bits = Long.reverseBytes(buf.getLong(pos)); // BINFLOAT is big-endian
        pos += 8;
        push(Double.longBitsToDouble(bits));
      }
      case 'N' -> push(null);
      case 0x88 -> push(Boolean.TRUE);
      case 0x89 -> push(Boolean.FALSE);
      case 'X' -> push(text(u32()));
      case 0x8c -> push(text(u8()));
      case 0x8d -> push(text(u64()));
      case 'T' -> push(text(i32()));
      case 'U' -> push(text(u8()));
      case 'C' -> push(bytes(u8()));
      case 'B' -> push(bytes(u32()));
      case 0x8e -> push(bytes(u64()));
      case 'q' -> memo.put((long) u8(), peek());
      case 'r' -> memo.put(u32(), peek());
      case 0x94 -> memo.put((long) memo.size(), peek());
      case 'h' -> push(memoGet(u8()));
      case 'j' -> push(memoGet(u32()));
      case 'c' -> {
        String module = line();
        String name = line();
        push(global(module, name));
      }
      case 0x93 -> {
        Object name = pop();
        Object module = pop();
        if (!(module instanceof String m) || !(name instanceof String n)) {
          throw fail("STACK_GLOBAL of " + kind(module) + " and " + kind(name) + ", expected two strings");
        }
        push(global(m, n));
      }
      case 'R', 0x81 -> {
        Object args = pop();
        Object callable = pop();
        String opName = code == 'R' ? "REDUCE" : "NEWOBJ";
        if (!(callable instanceof PickledGlobal g)) {
          throw refuse(opName + " calls " + kind(callable) + ", not an allowed global");
        }
        if (!isTuple(args)) {
          throw fail(opName + " of " + g.qualifiedName() + " with " + kind(args) + " arguments, expected a tuple");
        }
        if (code == 0x81 && PickleGlobals.ALLOWED.get(g.qualifiedName()) != PickleGlobals.Kind.INERT_CLASS) {
          throw refuse("NEWOBJ of " + g.qualifiedName() + ", which is not a class draft4j instantiates");
        }
        @SuppressWarnings("unchecked")
        List<Object> a = (List<Object>) args;
        push(PickleGlobals.call(g, a, this));
      }
      case 'b' -> {
        Object state = pop();
        Object target = peek();
        if (target instanceof PickledObject o) {
          if (!o.build(state)) {
            throw fail("second BUILD of " + o.className());
          }
        } else if (target instanceof PyDict d && d.isOrderedDict() && (state instanceof PyDict || state == null)) {
          // an OrderedDict's attributes (state_dict()'s _metadata: module versions); not part of the mapping
        } else {
          throw refuse("BUILD of " + kind(target) + " with " + kind(state) + " state");
        }
      }
      case 'Q' -> {
        if (loader == null) {
          throw fail("persistent id where none is allowed");
        }
        Object pid = pop();
        push(loader.load(pid, this));
      }
      default -> throw refuse("opcode " + opName(code) + " is outside the subset torch files use");
    }
  }

  private PickledGlobal global(String module, String name) {
    String q = module + "." + name;
    if (!PickleGlobals.isAllowed(q)) {
      throw refuse("global " + q + " is not on the allow-list");
    }
    return new PickledGlobal(module, name);
  }

  private void setItems(PyDict d, List<Object> items) {
    if (items.size() % 2 != 0) {
      throw fail("odd number of items (" + items.size() + ") for a dict");
    }
    for (int i = 0; i < items.size(); i += 2) {
      checkHashable(items.get(i), "dict key");
      d.set(items.get(i), items.get(i + 1));
    }
  }

  /**
   * Refuses a key (or set element) that is not a scalar: what Python could not hash (a list, dict or set),
   * and tuples and objects too. A state dict's keys are strings and an optimizer's ints; a tuple key could
   * share its elements through the memo (hashing it would cost 2^depth) or be crafted to collide, which
   * only a hostile file would do.
   */
  void checkHashable(Object o, String what) {
    if (o == null || o instanceof String || o instanceof Long || o instanceof BigInteger || o instanceof Double
        || o instanceof Boolean || o instanceof PickledGlobal) {
      return;
    }
    if (isTuple(o)) {
      throw fail(what + " is a tuple; draft4j reads str, int, float, bool and None keys (a state dict's)");
    }
    throw fail(what + " is " + kind(o) + ", which is unhashable (or not a str, int, float, bool or None key, which"
        + " draft4j reads)");
  }

  private static boolean isTuple(Object o) {
    return o instanceof List<?> && !(o instanceof PyList);
  }

  private static List<Object> tuple(List<Object> items) {
    return items.isEmpty() ? Collections.emptyList() : Collections.unmodifiableList(new ArrayList<>(items));
  }

  private PyList list(Object o, String opName) {
    if (!(o instanceof PyList l)) {
      throw fail(opName + " on " + kind(o) + ", expected a list");
    }
    return l;
  }

  private PyDict dict(Object o, String opName) {
    if (!(o instanceof PyDict d)) {
      throw fail(opName + " on " + kind(o) + ", expected a dict");
    }
    return d;
  }

  private Object memoGet(long i) {
    if (!memo.containsKey(i)) {
      throw fail("memo entry " + i + " was never stored");
    }
    return memo.get(i);
  }

  private void push(Object o) {
    stack.add(o);
  }

  private Object peek() {
    if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
      throw fail("stack underflow");
    }
    return stack.get(stack.size() - 1);
  }

  private Object pop() {
    Object o = peek();
    stack.remove(stack.size() - 1);
    return o;
  }

  private List<Object> popMark() {
    if (marks.isEmpty()) {
      throw fail("no MARK on the stack");
    }
    int m = marks.remove(marks.size() - 1);
    List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
    stack.subList(m, stack.size()).clear();
    return items;
  }

  private void need(long n) {
    if (n < 0 || n > buf.limit() - pos) {
      throw fail("needs " + n + " more bytes, " + (buf.limit() - pos) + " left (truncated?)");
    }
  }

  private int u8() {
    need(1);
    return buf.get(pos++) & 0xff;
  }

  private int i32() {
    need(4);
    int v = buf.getInt(pos);
    pos += 4;
    return v;
  }

  private long u32() {
    return i32() & 0xffffffffL;
  }

  private long u64() {
    need(8);
    long v = buf.getLong(pos);
    pos += 8;
    return v;
  }

  private Object longOf(int n) {
    need(n);
    if (n == 0) {
      return 0L;
    }
    byte[] be = new byte[n];
    for (int i = 0; i < n; i++) {
      be[n - 1 - i] = buf.get(pos + i);
    }
    pos += n;
    BigInteger v = new BigInteger(be);
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  private byte[] bytes(long n) {
    if (n > MAX_ITEM) {
      throw fail("item of " + n + " bytes, more than the " + MAX_ITEM + " draft4j reads");
    }
    need(n);
    byte[] b = new byte[(int) n];
    buf.get(pos, b);
    pos += (int) n;
    return b;
  }

  private String text(long n) {
    byte[] b = bytes(n);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw fail("string of " + n + " bytes is not valid UTF-8");
    }
  }

  private String line() {
    int start = pos;
    int limit = Math.min(buf.limit(), start + 512);
    for (int i = start; i < limit; i++) {
      if (buf.get(i) == '\n') {
        byte[] b = new byte[i - start];
        buf.get(start, b);
        pos = i + 1;
        for (byte c : b) {
          if (c < 0x20 || c > 0x7e) {
            throw fail("GLOBAL name has the non-printable byte 0x" + Integer.toHexString(c & 0xff));
          }
        }
        return new String(b, StandardCharsets.US_ASCII);
      }
    }
    throw fail("GLOBAL name without a newline in " + (limit - start) + " bytes");
  }

  private static final Map<Integer, String> OPCODE_NAMES = ImmutableMap.<Integer, String>builder()
      .put((int) 'I', "INT").put((int) 'L', "LONG").put((int) 'F', "FLOAT").put((int) 'S', "STRING")
      .put((int) 'V', "UNICODE").put((int) 'P', "PERSID").put((int) 'p', "PUT").put((int) 'g', "GET")
      .put((int) 'i', "INST").put((int) 'o', "OBJ").put(0x82, "EXT1").put(0x83, "EXT2").put(0x84, "EXT4")
      .put(0x91, "FROZENSET").put(0x92, "NEWOBJ_EX").put(0x96, "BYTEARRAY8").put(0x97, "NEXT_BUFFER")
      .put(0x98, "READONLY_BUFFER").build();

  private static String opName(int code) {
    String n = OPCODE_NAMES.get(code);
    String hex = String.format("0x%02x", code);
    return n != null ? n + " (" + hex + ")" : hex;
  }

  /** A value's Python kind for messages (never its contents, which may be large or cyclic). */
  static String kind(Object o) {
    if (o == null) {
      return "None";
    }
    if (o == MARK) {
      return "a MARK";
    }
    if (o instanceof TorchTensor) {
      return "a tensor";
    }
    if (o instanceof TorchStorage) {
      return "a storage";
    }
    if (o instanceof PyDict) {
      return "a dict";
    }
    if (o instanceof PyList) {
      return "a list";
    }
    if (o instanceof List<?>) {
      return "a tuple";
    }
    if (o instanceof PySet) {
      return "a set";
    }
    if (o instanceof String) {
      return "a str";
    }
    if (o instanceof Long || o instanceof BigInteger) {
      return "an int";
    }
    if (o instanceof Double) {
      return "a float";
    }
    if (o instanceof Boolean) {
      return "a bool";
    }
    if (o instanceof byte[]) {
      return "bytes";
    }
    if (o instanceof PickledGlobal g) {
      return "the global " + g.qualifiedName();
    }
    if (o instanceof PickledObject p) {
      return "a " + p.className();
    }
    return o.getClass().getSimpleName();
  }

  /** A short description of a value for messages: scalars verbatim (strings cut to 60 chars), else the kind. */
  static String describe(Object o) {
    if (o instanceof String s) {
      return "\"" + (s.length() > 60 ? s.substring(0, 60) + "…" : s) + "\"";
    }
    if (o instanceof Long || o instanceof BigInteger || o instanceof Double || o instanceof Boolean || o == null) {
      return String.valueOf(o == null ? "None" : o);
    }
    if (o instanceof List<?> l && !(o instanceof PyList) && l.size() <= 8) {
      StringBuilder sb = new StringBuilder("(");
      for (int i = 0; i < l.size(); i++) {
        Object e = l.get(i);
        sb.append(i > 0 ? ", " : "").append(e instanceof List<?> || e instanceof java.util.Map<?, ?> ? kind(e) : describe(e));
      }
      return sb.append(l.size() == 1 ? ",)" : ")").toString();
    }
    return kind(o);
  }
}
