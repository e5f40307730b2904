package org.draft4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafetensorsTest {
  @TempDir Path dir;

  private static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    return b.array();
  }

  private static String message(byte[] bytes) {
    return assertThrows(SafetensorsException.class, () -> SafetensorsFile.fromBytes(bytes, "f.safetensors"))
        .getMessage();
  }

  @Test
  void roundTripKeepsValuesShapesAndMetadata() {
    Map<String, INDArray> t = new LinkedHashMap<>();
    t.put("a.weight", Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}}));
    t.put("b", Nd4j.createFromArray(new double[] {0.1, -2.5}));
    t.put("scalar", Nd4j.scalar(7f));
    Path p = dir.resolve("x.safetensors");
    Safetensors.write(p, t, Map.of("k", "v"));
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertEquals("v", f.metadata().get("k"));
      assertEquals(t.get("a.weight"), f.get("a.weight"));
      assertArrayEquals(new double[] {0.1, -2.5}, f.get("b", DataType.DOUBLE).toDoubleVector(), 0.0);
      assertEquals(0, f.info("scalar").shape().length);
      assertEquals(7f, f.get("scalar").getFloat(0));
    }
  }

  @Test
  void readsF16AndBf16() {
    // 1.0, -2.0, 0.5 in binary16 and bfloat16
    byte[] f16 = {0x00, 0x3c, 0x00, (byte) 0xc0, 0x00, 0x38};
    byte[] bf16 = {(byte) 0x80, 0x3f, 0x00, (byte) 0xc0, 0x00, 0x3f};
    byte[] data = new byte[12];
    System.arraycopy(f16, 0, data, 0, 6);
    System.arraycopy(bf16, 0, data, 6, 6);
    String h = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[6,12]}}";
    SafetensorsFile f = SafetensorsFile.fromBytes(file(h, data), "mem");
    assertArrayEquals(new float[] {1f, -2f, 0.5f}, f.get("h").toFloatVector());
    assertArrayEquals(new float[] {1f, -2f, 0.5f}, f.get("b").toFloatVector());
  }

  @Test
  void badFilesNameFileAndProblem() {
    String ok = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    assertTrue(message(new byte[5]).contains("shorter than the 8-byte header length"));
    byte[] past = file(ok, new byte[8]);
    ByteBuffer.wrap(past).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 10_000);
    assertTrue(message(past).contains("runs past the end"), message(past));
    assertTrue(message(file(ok, new byte[4])).contains("truncated"));
    assertTrue(message(file("{\"w\":{", new byte[0])).contains("not valid JSON"));
    assertTrue(message(file(ok.replace("F32", "Q7"), new byte[8])).contains("unknown dtype \"Q7\""));
    assertTrue(message(file(ok.replace("[2]", "[3]"), new byte[8])).contains("needs 12 bytes"));
    String dup = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    assertTrue(message(file(dup, new byte[8])).contains("duplicate key \"w\""));
    SafetensorsFile f = SafetensorsFile.fromBytes(file(ok, new byte[8]), "g.safetensors");
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.get("missing"));
    assertTrue(e.getMessage().contains("g.safetensors") && e.getMessage().contains("missing tensor \"missing\""));
  }

  @Test
  void corruptedDataIsDetectedByChecksum() throws IOException {
    Path p = dir.resolve("c.safetensors");
    Safetensors.write(p, Map.of("w", Nd4j.createFromArray(new float[] {1, 2, 3, 4})), Map.of());
    byte[] b = Files.readAllBytes(p);
    b[b.length - 3] ^= 0x10;
    Files.write(p, b);
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p));
    assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains(p.toString()));
  }

  @Provide
  Arbitrary<Map<String, float[]>> tensorSets() {
    Arbitrary<String> keys = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(6);
    Arbitrary<float[]> values = Arbitraries.floats().between(-1e6f, 1e6f).array(float[].class).ofMinSize(1)
        .ofMaxSize(40);
    return Arbitraries.maps(keys, values).ofMinSize(1).ofMaxSize(5);
  }

  @Property(tries = 60)
  void writeThenReadRoundTrips(@ForAll("tensorSets") Map<String, float[]> set) throws IOException {
    Path p = Files.createTempFile("rt", ".safetensors");
    try {
      Map<String, INDArray> t = new LinkedHashMap<>();
      set.forEach((k, v) -> t.put(k, Nd4j.createFromArray(v)));
      Safetensors.write(p, t, Map.of("m", "x"));
      Map<String, INDArray> back = Safetensors.read(p);
      assertEquals(t.keySet(), back.keySet());
      set.forEach((k, v) -> assertArrayEquals(v, back.get(k).toFloatVector()));
    } finally {
      Files.deleteIfExists(p);
    }
  }

  @Provide
  Arbitrary<int[]> corruptions() {
    return Combinators.combine(Arbitraries.integers().between(0, 10_000), Arbitraries.integers().between(1, 255),
        Arbitraries.integers().between(0, 2)).as((pos, x, kind) -> new int[] {pos, x, kind});
  }

  /** Flipping, truncating or extending a valid file never crashes and never yields different data silently. */
  @Property(tries = 200)
  void corruptionsAreRefusedOrHarmless(@ForAll("corruptions") int[] c, @ForAll @IntRange(min = 1, max = 30) int n)
      throws IOException {
    Map<String, INDArray> t = new LinkedHashMap<>();
    t.put("a", Nd4j.linspace(1, n, n, DataType.FLOAT));
    t.put("b", Nd4j.linspace(-n, 0, n + 1, DataType.FLOAT));
    Path p = Files.createTempFile("cor", ".safetensors");
    Safetensors.write(p, t, Map.of());
    byte[] b = Files.readAllBytes(p);
    Files.delete(p);
    byte[] bad;
    int pos = c[0] % b.length;
    switch (c[2]) {
      case 0 -> {
        bad = b.clone();
        bad[pos] ^= (byte) c[1];
      }
      case 1 -> bad = java.util.Arrays.copyOf(b, pos);
      default -> {
        bad = java.util.Arrays.copyOf(b, b.length + 1 + c[1] % 7);
      }
    }
    try {
      SafetensorsFile f = SafetensorsFile.fromBytes(bad, "fuzz");
      Map<String, INDArray> got = f.readAll();
      // accepted: must be the same tensors (e.g. a flipped metadata key or whitespace)
      assertEquals(t.keySet(), got.keySet());
      for (String k : t.keySet()) {
        assertEquals(t.get(k), got.get(k), "silently different data for " + k);
      }
    } catch (SafetensorsException expected) {
      assertTrue(expected.getMessage().startsWith("fuzz"), expected.getMessage());
    }
  }
}
