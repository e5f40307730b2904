package org.draft4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.draft4j.testing.InteropFixtures;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Random damage to small torch files (1–8 flipped bytes, truncation, appended bytes) never hangs and
 * only ever fails with {@link TorchFormatException}. In the zip format (CRC-32 on data.pkl, on open, and
 * on every storage record, on first read) a damaged file either is refused or reads exactly the original;
 * a truncated legacy file is always refused, and one that opens has the original's storages.
 */
class TorchFuzzTest {
  private static final String ZIP = "torch/lightning_zip.pt";
  private static final String LEGACY = "torch/lightning_legacy.pt";

  private static byte[] damage(byte[] b, Random r) {
    int kind = r.nextInt(8);
    if (kind < 6) {
      byte[] bad = b.clone();
      int flips = 1 + r.nextInt(8);
      for (int i = 0; i < flips; i++) {
        bad[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
      }
      return bad;
    }
    if (kind < 7) {
      return Arrays.copyOf(b, r.nextInt(b.length));
    }
    byte[] bad = Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
    for (int i = b.length; i < bad.length; i++) {
      bad[i] = (byte) r.nextInt(256);
    }
    return bad;
  }

  /** Opens {@code bytes} and reads every state-dict tensor; null when refused with the project's exception. */
  private static Map<String, INDArray> load(byte[] bytes, List<Object> scalars, Map<String, TorchStorage> storages)
      throws IOException {
    Path p = Files.createTempFile("draft4j-fuzz", ".pt");
    try {
      Files.write(p, bytes);
      try (TorchFile f = TorchFile.open(p)) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (String k : f.keys()) {
          m.put(k, f.get(k, DataType.DOUBLE));
        }
        Map<?, ?> root = (Map<?, ?>) f.root();
        scalars.add(root.get("epoch"));
        scalars.add(root.get("global_step"));
        storages.putAll(f.storages());
        return m;
      } catch (TorchFormatException e) {
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        return null;
      } catch (RuntimeException e) {
        fail("not the project's exception: " + e, e);
        return null;
      }
    } finally {
      Files.delete(p);
    }
  }

  private static void assertSameTensors(Map<String, INDArray> want, Map<String, INDArray> got) {
    assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
    want.forEach((k, v) -> {
      assertArrayEquals(v.shape(), got.get(k).shape(), k);
      assertArrayEquals(v.data().asDouble(), got.get(k).data().asDouble(), k);
    });
  }

  @Property(tries = 250)
  void damagedZipFilesAreRefusedOrReadExactly(@ForAll long seed) throws IOException {
    byte[] b = Files.readAllBytes(InteropFixtures.require(ZIP));
    List<Object> s0 = new java.util.ArrayList<>();
    Map<String, INDArray> original = load(b, s0, new LinkedHashMap<>());
    List<Object> s1 = new java.util.ArrayList<>();
    Map<String, INDArray> got = load(damage(b, new Random(seed)), s1, new LinkedHashMap<>());
    if (got != null) {
      assertSameTensors(original, got);
      assertEquals(s0, s1);
    }
  }

  @Property(tries = 250)
  void damagedLegacyFilesAreRefusedOrKeepTheirLayout(@ForAll long seed) throws IOException {
    byte[] b = Files.readAllBytes(InteropFixtures.require(LEGACY));
    Map<String, TorchStorage> st0 = new LinkedHashMap<>();
    load(b, new java.util.ArrayList<>(), st0);
    byte[] bad = damage(b, new Random(seed));
    Map<String, TorchStorage> st1 = new LinkedHashMap<>();
    Map<String, INDArray> got = load(bad, new java.util.ArrayList<>(), st1);
    if (bad.length < b.length) {
      assertEquals(null, got, "a truncated legacy file opened");
    }
    if (got != null) {
      assertEquals(st0.size(), st1.size());
      st0.values().forEach(s -> assertTrue(st1.values().stream().anyMatch(t -> t.nbytes() == s.nbytes()), s.key()));
    }
  }
}
