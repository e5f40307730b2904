package org.draft4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The restricted unpickler on hand-written opcodes: each supported one decodes, everything else is refused by name. */
class PickleTest {
  /** A pickle written opcode by opcode. */
  private static final class P {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    P op(int... bytes) {
      for (int b : bytes) {
        out.write(b);
      }
      return this;
    }

    P i32(int v) {
      byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
      out.writeBytes(b);
      return this;
    }

    P i64(long v) {
      out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
      return this;
    }

    P raw(String s) {
      out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    P str(String s) { // BINUNICODE
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      op('X').i32(b.length);
      out.writeBytes(b);
      return this;
    }

    P global(String module, String name) {
      return op('c').raw(module + "\n" + name + "\n");
    }

    Object load() {
      return new RestrictedUnpickler(ByteBuffer.wrap(out.toByteArray()), "t.pkl", null).load(0);
    }
  }

  private static P p2() {
    return new P().op(0x80, 2);
  }

  @Test
  void scalarsDecode() {
    assertEquals(-5L, p2().op('J').i32(-5).op('.').load());
    assertEquals(200L, p2().op('K', 200, '.').load());
    assertEquals(0xbeefL, p2().op('M', 0xef, 0xbe, '.').load());
    assertEquals(0L, p2().op(0x8a, 0, '.').load());
    assertEquals(-2L, p2().op(0x8a, 1, 0xfe, '.').load());
    assertEquals(new BigInteger("1950a86a20f9469cfc6c", 16),
        p2().op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.').load());
    assertEquals(1L << 40, p2().op(0x8b).i32(6).op(0, 0, 0, 0, 0, 1, '.').load());
    assertEquals(0.5, p2().op('G', 0x3f, 0xe0, 0, 0, 0, 0, 0, 0, '.').load());
    assertNull(p2().op('N', '.').load());
    assertEquals(true, p2().op(0x88, '.').load());
    assertEquals(false, p2().op(0x89, '.').load());
    assertEquals("é", p2().str("é").op('.').load());
    assertEquals("ab", p2().op(0x8c, 2).raw("ab").op('.').load());
    assertEquals("ab", p2().op(0x8d).i64(2).raw("ab").op('.').load());
    assertEquals("ab", p2().op('T').i32(2).raw("ab").op('.').load());
    assertEquals("ab", p2().op('U', 2).raw("ab").op('.').load());
    assertArrayEquals(new byte[] {1, 2}, (byte[]) p2().op('C', 2, 1, 2, '.').load());
    assertArrayEquals(new byte[] {1}, (byte[]) p2().op('B').i32(1).op(1, '.').load());
    assertArrayEquals(new byte[] {1}, (byte[]) p2().op(0x8e).i64(1).op(1, '.').load());
  }

  @Test
  void containersMemoAndStackOpsDecode() {
    // {"a": [1, 2, 3], "t": (None, (), (1,), (1, 2), (1, 2, 3)), "s": {7}, "m": <memo 1 = "a">} via every container opcode
    Object v = new P().op(0x80, 4, 0x95).i64(0).op('}', 0x94, '(')
        .str("a").op(0x94, ']', 'K', 1, 'a', '(', 'K', 2, 'K', 3, 'e')
        .str("t").op('(', 'N', ')', 'K', 1, 0x85, 'K', 1, 'K', 2, 0x86, 'K', 1, 'K', 2, 'K', 3, 0x87, 't')
        .str("s").op(0x8f, '(', 'K', 7, 0x90)
        .str("m").op('h', 1).op('u')
        .str("d").op('(', 'K', 1, 'K', 2, 'd', 's') // DICT then SETITEM
        .str("l").op('(', 'K', 4, 'l', 's') // LIST
        .str("r").op('r').i32(1000).op('0', 'j').i32(1000).op('j').i32(1000).op('s') // LONG_BINPUT, POP, LONG_BINGET
        .str("q").op('q', 9, '2', '0', '(', 'K', 1, 'K', 2, '1', 'h', 9, 's') // BINPUT, DUP, POP, POP_MARK, BINGET
        .op('.').load();
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(List.of(1L, 2L, 3L), m.get("a"));
    assertEquals(Arrays.asList(null, List.of(), List.of(1L), List.of(1L, 2L), List.of(1L, 2L, 3L)), m.get("t"));
    assertEquals(Set.of(7L), m.get("s"));
    assertEquals("a", m.get("m"));
    assertEquals(Map.of(1L, 2L), m.get("d"));
    assertEquals(List.of(4L), m.get("l"));
    assertEquals("r", m.get("r"));
    assertEquals("q", m.get("q"));
    assertEquals(List.of("a", "t", "s", "m", "d", "l", "r", "q"), List.copyOf(m.keySet()));
  }

  @Test
  void aMillionNestedListsNeedNoStack() {
    P p = p2();
    int depth = 1_000_000;
    for (int i = 0; i < depth; i++) {
      p.op(']');
    }
    for (int i = 1; i < depth; i++) {
      p.op('a');
    }
    Object o = p.op('.').load();
    assertEquals(1, ((List<?>) o).size());
  }

  @Test
  void allowedGlobalsBuildData() {
    Object od = p2().global("collections", "OrderedDict").op(')', 'R', '(').str("k").op('K', 1, 'u', '}', 'b', '.').load();
    assertEquals(Map.of("k", 1L), od);
    Object size = p2().global("torch", "Size").op('K', 2, 'K', 3, 0x86, 0x85, 'R', '.').load();
    assertEquals(List.of(2L, 3L), size);
    Object bytes = p2().global("_codecs", "encode").str("\u00ff\u0001").str("latin1").op(0x86, 'R', '.').load();
    assertArrayEquals(new byte[] {-1, 1}, (byte[]) bytes);
    assertEquals(new PickledGlobal("torch", "float32"), p2().global("torch", "float32").op('.').load());
    Object ckpt = p2().global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint").op(')', 0x81, '}', 'b', '.')
        .load();
    assertEquals("pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint", ((PickledObject) ckpt).className());
    assertEquals(Map.of(), ((PickledObject) ckpt).state());
  }

  @ParameterizedTest
  @CsvSource({"builtins, getattr", "__builtin__, eval", "os, system", "posix, system", "nt, system", "subprocess, Popen",
      "torch, load", "torch._utils, _rebuild_qtensor", "collections, defaultdict", "numpy, load", "copyreg, _reconstructor"})
  void unlistedGlobalsAreRefusedByName(String module, String name) {
    PickleRefusedException e = assertThrows(PickleRefusedException.class,
        () -> p2().global(module, name).str("x").op(0x85, 'R', '.').load());
    assertTrue(e.getMessage().startsWith("t.pkl byte 2: global " + module + "." + name + " is not on the allow-list"),
        e.getMessage());
  }

  @Test
  void stackGlobalIsCheckedToo() {
    PickleRefusedException e = assertThrows(PickleRefusedException.class,
        () -> new P().op(0x80, 4).str("builtins").str("exec").op(0x93, '.').load());
    assertTrue(e.getMessage().contains("byte 24: global builtins.exec"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "69 | opcode INST (0x69)", "6f | opcode OBJ (0x6f)", "49 | opcode INT (0x49)", "82 | opcode EXT1 (0x82)",
      "92 | opcode NEWOBJ_EX (0x92)", "97 | opcode NEXT_BUFFER (0x97)", "50 | opcode PERSID (0x50)", "ff | opcode 0xff"})
  void opcodesOutsideTheSubsetAreRefusedByName(String hex, String message) {
    PickleRefusedException e = assertThrows(PickleRefusedException.class,
        () -> p2().op(Integer.parseInt(hex, 16), '.').load());
    assertTrue(e.getMessage().startsWith("t.pkl byte 2: " + message), e.getMessage());
  }

  @Test
  void callingAnythingButAnAllowedConstructorIsRefused() {
    assertRefused(p2().str("os").op(')', 'R', '.'), "byte 10: REDUCE calls a str, not an allowed global");
    assertRefused(p2().global("torch", "float32").op(')', 'R', '.'), "global torch.float32 is allowed as a value only");
    assertRefused(p2().global("collections", "OrderedDict").op(')', 0x81, '.'), "NEWOBJ of collections.OrderedDict");
    assertRefused(p2().global("_codecs", "encode").str("x").str("rot13").op(0x86, 'R', '.'), "encoding \"rot13\"");
    assertRefused(p2().op(']', '}', 'b', '.'), "BUILD of a list with a dict state");
    assertRefused(new P().op(0x80, 6, '.'), "pickle protocol 6");
  }

  private static void assertRefused(P p, String message) {
    PickleRefusedException e = assertThrows(PickleRefusedException.class, p::load);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void malformedPicklesFailNamingTheOffset() {
    assertFails(p2().op('X').i32(1000).raw("ab"), "t.pkl byte 2: needs 1000 more bytes, 2 left");
    assertFails(p2().op('h', 3, '.'), "t.pkl byte 2: memo entry 3 was never stored");
    assertFails(p2().op('.'), "t.pkl byte 2: STOP with 0 values");
    assertFails(p2().op('}', ']', 'K', 1, 's', '.'), "t.pkl byte 6: dict key is a list, which is unhashable");
    // a tuple key whose elements share one child 40 levels deep would cost 2^40 to hash: refused at once
    P shared = p2().op('}', ')');
    for (int i = 0; i < 40; i++) {
      shared.op('2', 0x86);
    }
    assertFails(shared.op('N', 's', '.'), "dict key is a tuple; draft4j reads str, int, float, bool and None keys");
    assertFails(p2().op('K', 1), "t.pkl byte 4: the pickle ends without STOP");
    assertFails(p2().op('a', '.'), "t.pkl byte 2: stack underflow");
    assertFails(p2().op('t', '.'), "t.pkl byte 2: no MARK on the stack");
    assertFails(p2().op('Q', '.'), "persistent id where none is allowed");
    assertFails(p2().op('X').i32(2).op(0xc3, 0x28, '.'), "not valid UTF-8");
  }

  private static void assertFails(P p, String message) {
    TorchFormatException e = assertThrows(TorchFormatException.class, p::load);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
