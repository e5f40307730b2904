package org.draft4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A file draft4j wrote never loads with different names, metadata or data: 1,000 random corruptions
 * of the kinds an independent fuzz run used (1–8 flipped bytes anywhere, keys and values of the
 * metadata included; truncation; appended bytes; a damaged header length) are each refused with the
 * library's own exception or load identical content. The counts are printed.
 */
class SafetensorsFuzzTest {
  private static final AtomicIntegerArray OUTCOMES = new AtomicIntegerArray(4); // refused, identical, wrong, other
  private static byte[] original;
  private static Map<String, INDArray> tensors;
  private static Map<String, String> meta;

  private static synchronized byte[] file() throws IOException {
    if (original == null) {
      tensors = new LinkedHashMap<>();
      tensors.put("unet.down.lora_A.weight", Nd4j.linspace(1, 12, 12, DataType.FLOAT).reshape(3, 4));
      tensors.put("unet.down.lora_B.weight", Nd4j.linspace(-2, 2, 8, DataType.FLOAT).reshape(4, 2));
      meta = new LinkedHashMap<>();
      meta.put("lora_rank", "4");
      meta.put("draft4j.version", "0.1.0");
      meta.put("draft4j.base_model", "shapesworld");
      Path p = Files.createTempFile("fuzz", ".safetensors");
      Safetensors.write(p, tensors, meta);
      original = Files.readAllBytes(p);
      Files.delete(p);
    }
    return original;
  }

  @Property(tries = 1000)
  void corruptedFilesNeverLoadDifferentContent(@ForAll long seed) throws IOException {
    byte[] b = file();
    Random r = new Random(seed);
    byte[] bad;
    int kind = r.nextInt(10);
    if (kind < 6) {
      bad = b.clone();
      int flips = 1 + r.nextInt(8);
      int headerEnd = 8 + (int) ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      for (int i = 0; i < flips; i++) {
        // half of the flips inside the JSON header, where names, metadata keys and values live
        int pos = r.nextBoolean() ? 8 + r.nextInt(headerEnd - 8) : r.nextInt(b.length);
        bad[pos] ^= (byte) (1 + r.nextInt(255));
      }
    } else if (kind < 7) {
      bad = Arrays.copyOf(b, r.nextInt(b.length));
    } else if (kind < 8) {
      bad = Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
      for (int i = b.length; i < bad.length; i++) {
        bad[i] = (byte) r.nextInt(256);
      }
    } else if (kind < 9) {
      bad = b.clone();
      bad[r.nextInt(8)] ^= (byte) (1 + r.nextInt(255)); // header length
    } else {
      bad = b.clone(); // a flip inside a draft4j metadata key, then one in the data
      String header = new String(b, StandardCharsets.ISO_8859_1);
      int at = header.indexOf("draft4j.", 8 + r.nextInt(40));
      if (at < 0) {
        at = header.indexOf("draft4j.");
      }
      bad[at + r.nextInt(19)] ^= (byte) (1 + r.nextInt(255));
      bad[b.length - 1 - r.nextInt(40)] ^= (byte) (1 + r.nextInt(255));
    }
    try {
      SafetensorsFile f = SafetensorsFile.fromBytes(bad, "fuzz");
      Map<String, INDArray> got = f.readAll();
      boolean same = got.keySet().equals(tensors.keySet()) && f.metadata().entrySet().containsAll(meta.entrySet());
      for (String k : tensors.keySet()) {
        same &= got.containsKey(k) && tensors.get(k).equals(got.get(k));
      }
      Map<String, String> extra = new LinkedHashMap<>(f.metadata());
      meta.keySet().forEach(extra::remove);
      extra.remove(SafetensorsFile.CHECKSUM_KEY);
      extra.remove(SafetensorsFile.FORMAT_KEY);
      same &= extra.isEmpty();
      OUTCOMES.incrementAndGet(same ? 1 : 2);
      assertTrue(same, "a corrupted file loaded with different content (seed " + seed + ")");
    } catch (SafetensorsException e) {
      OUTCOMES.incrementAndGet(0);
      assertTrue(e.getMessage().startsWith("fuzz"), e.getMessage());
    } catch (RuntimeException | Error e) {
      OUTCOMES.incrementAndGet(3);
      throw new AssertionError("corruption (seed " + seed + ") raised " + e + " instead of the library's exception", e);
    }
  }

  @AfterContainer
  static void report() {
    System.out.printf("safetensors fuzz: refused %d, identical %d, wrong %d, other exceptions %d%n", OUTCOMES.get(0),
        OUTCOMES.get(1), OUTCOMES.get(2), OUTCOMES.get(3));
  }

  @Test
  void aRenamedChecksumKeyIsRefusedAndVerifiedOpensRequireTheChecksum() throws IOException {
    Path dir = Files.createTempDirectory("ck");
    Path p = dir.resolve("checkpoint.safetensors");
    Safetensors.write(p, Map.of("w", Nd4j.createFromArray(new float[] {1, 2})), Map.of("step", "3"));
    byte[] b = Files.readAllBytes(p);
    String s = new String(b, StandardCharsets.ISO_8859_1).replace("draft4j.data_sha256", "draft4j.data_sha2X6");
    Files.write(p, s.getBytes(StandardCharsets.ISO_8859_1));
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p));
    assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("no draft4j.data_sha256"),
        e.getMessage());
    // a file from another tool: opens, but not as a draft4j artifact
    Path foreign = dir.resolve("foreign.safetensors");
    byte[] json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(8 + json.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.putLong(json.length).put(json).putFloat(1.5f);
    Files.write(foreign, bb.array());
    try (SafetensorsFile f = SafetensorsFile.open(foreign)) {
      assertEquals(1.5, f.get("w").getDouble(0), 0);
    }
    SafetensorsException v = assertThrows(SafetensorsException.class, () -> SafetensorsFile.openVerified(foreign));
    assertTrue(v.getMessage().contains(foreign.toString()), v.getMessage());
  }

  @Test
  void writtenFilesFollowTheUmaskNotOwnerOnly() throws IOException {
    Path dir = Files.createTempDirectory("perm");
    Path p = dir.resolve("a.safetensors");
    Path plain = dir.resolve("plain.txt");
    Files.writeString(plain, "x");
    Safetensors.write(p, Map.of("w", Nd4j.createFromArray(new float[] {1})), Map.of());
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(p));
  }
}
