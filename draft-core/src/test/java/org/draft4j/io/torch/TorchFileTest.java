package org.draft4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.draft4j.io.SafetensorsDType;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.io.TensorStore;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Files written by real PyTorch 1.13 ({@code interop/make_torch_cases.py}) read in Java equal, value for
 * value, the float32/float64 copies the same script wrote as safetensors.
 */
class TorchFileTest {
  private static Path fixture(String name) {
    return InteropFixtures.require("torch/" + name);
  }

  private static double[] values(INDArray a) {
    return a.isEmpty() ? new double[0] : a.dup('c').data().asDouble();
  }

  @ParameterizedTest
  @CsvSource({"dtypes_zip.pt, dtypes, ZIP", "dtypes_legacy.pt, dtypes, LEGACY", "dtypes_zip64.pt, dtypes, ZIP", "lightning_zip.pt, lightning, ZIP",
      "lightning_legacy.pt, lightning, LEGACY", "large_zip.pt, large, ZIP"})
  void everyTensorEqualsWhatTorchWrote(String file, String expected, TorchFile.Format format) {
    try (TensorStore store = TensorStore.open(fixture(file));
        SafetensorsFile want = SafetensorsFile.open(fixture(expected + ".expected.safetensors"))) {
      assertTrue(store instanceof TorchFile);
      assertEquals(format, ((TorchFile) store).format());
      assertEquals(List.copyOf(want.keys()), List.copyOf(store.keys()));
      for (String k : want.keys()) {
        DataType type = want.dtype(k) == SafetensorsDType.F64 ? DataType.DOUBLE : DataType.FLOAT;
        INDArray got = store.get(k, type);
        assertArrayEquals(want.shape(k), store.shape(k), k);
        assertArrayEquals(want.shape(k), got.shape(), k);
        assertEquals(type, got.dataType(), k);
        assertArrayEquals(values(want.get(k, type)), values(got), k);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dtypes_zip.pt", "dtypes_legacy.pt", "dtypes_zip64.pt"})
  void dtypesViewsAndParametersAreKept(String file) {
    try (TorchFile f = TorchFile.open(fixture(file))) {
      Map<String, SafetensorsDType> want = Map.of("f32", SafetensorsDType.F32, "f16", SafetensorsDType.F16, "bf16",
          SafetensorsDType.BF16, "f64", SafetensorsDType.F64, "i64", SafetensorsDType.I64, "i32", SafetensorsDType.I32,
          "i16", SafetensorsDType.I16, "i8", SafetensorsDType.I8, "u8", SafetensorsDType.U8, "bool", SafetensorsDType.BOOL);
      want.forEach((k, d) -> assertEquals(d, f.dtype(k), k));
      TorchTensor tr = f.tensor("transposed");
      assertFalse(tr.isContiguous());
      assertArrayEquals(new long[] {6, 4}, tr.shape());
      assertArrayEquals(new long[] {1, 6}, tr.stride());
      assertEquals(8, f.tensor("slice").storageOffset());
      assertSame(f.tensor("shared_a").storage(), f.tensor("shared_b").storage());
      assertEquals(2, f.tensor("shared_a").storageOffset());
      assertTrue(f.tensor("param").isParameter());
      assertTrue(f.tensor("param").requiresGrad());
      assertFalse(f.tensor("f32").isParameter());
      assertArrayEquals(new long[0], f.shape("scalar"));
      assertEquals(2.5, f.get("scalar").getDouble(0));
      assertEquals(-9.0, f.get("scalar_i64").getDouble(0));
      assertArrayEquals(new long[] {0, 3}, f.get("empty").shape());
      assertArrayEquals(new long[] {0, 1}, f.tensor("expanded").stride());
      assertArrayEquals(new double[] {-(double) (1L << 40), -1, 0, 1, 1L << 40}, values(f.get("i64", DataType.DOUBLE)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"lightning_zip.pt", "lightning_legacy.pt"})
  void theWholeTreeIsReadable(String file) {
    try (TorchFile f = TorchFile.open(fixture(file))) {
      Map<?, ?> root = (Map<?, ?>) f.root();
      assertEquals(3L, root.get("epoch"));
      assertEquals(7L, root.get("global_step"));
      assertTrue(root.containsKey("optimizer"));
      assertNull(root.get("optimizer"));
      assertEquals(7L, root.get("numpy_step")); // numpy.core.multiarray.scalar of dtype i8, bytes via _codecs.encode
      assertEquals(0.125, root.get("best_score"));
      Map<?, ?> hp = (Map<?, ?>) root.get("hyper_parameters");
      assertEquals(1e-4, hp.get("lr"));
      assertEquals(List.of(0.9, 0.999), hp.get("betas"));
      assertEquals("tiny", hp.get("name"));
      assertEquals(Set.of(1L, 2L), hp.get("flags"));
      assertArrayEquals(new byte[] {0, (byte) 0xff}, (byte[]) hp.get("blob"));
      List<?> losses = (List<?>) root.get("loss_history");
      assertEquals(0.25, f.read((TorchTensor) losses.get(1), DataType.DOUBLE).getDouble(0));
      assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"), List.copyOf(f.keys()));
      assertThrows(UnsupportedOperationException.class, () -> ((Map<Object, Object>) root).put("epoch", 4L));
      assertThrows(UnsupportedOperationException.class, () -> ((List<Object>) losses).add(1L));
    }
  }

  @Test
  void zip64DirectoriesListTheSameEntries() throws java.io.IOException {
    Path z64 = fixture("dtypes_zip64.pt");
    byte[] raw = java.nio.file.Files.readAllBytes(z64);
    int sig = java.nio.ByteBuffer.wrap(raw, raw.length - 22 - 20, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    assertEquals(0x07064b50, sig, "the fixture ends in a ZIP64 locator and end record");
    try (java.nio.channels.FileChannel a = java.nio.channels.FileChannel.open(fixture("dtypes_zip.pt"));
        java.nio.channels.FileChannel b = java.nio.channels.FileChannel.open(z64)) {
      Map<String, ZipDirectory.Entry> plain = ZipDirectory.read(a, a.size(), "plain");
      Map<String, ZipDirectory.Entry> wide = ZipDirectory.read(b, b.size(), "zip64");
      assertEquals(plain.keySet(), wide.keySet());
      plain.forEach((k, e) -> assertEquals(e.size(), wide.get(k).size(), k));
      plain.forEach((k, e) -> assertEquals(e.crc(), wide.get(k).crc(), k));
    }
  }

  @Test
  void readingOneTensorMapsOnlyItsStorage() {
    try (TorchFile f = TorchFile.open(fixture("large_zip.pt"))) {
      assertTrue(f.storagesRead().isEmpty(), "open maps no storage");
      f.get("big.bias");
      assertEquals(Set.of(f.tensor("big.bias").storage().key()), f.storagesRead());
      assertTrue(f.tensor("big.weight").storage().nbytes() > 64 * 1024);
    }
    try (TorchFile f = TorchFile.open(fixture("dtypes_legacy.pt"))) {
      f.get("shared_b");
      assertEquals(Set.of(f.tensor("shared_a").storage().key()), f.storagesRead());
    }
  }

  @Test
  void missingKeysAndClosedFilesAreNamed() {
    Path p = fixture("dtypes_zip.pt");
    TorchFile f = TorchFile.open(p);
    TorchFormatException e = assertThrows(TorchFormatException.class, () -> f.get("nope"));
    assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("\"nope\""), e.getMessage());
    f.close();
    IllegalStateException c = assertThrows(IllegalStateException.class, () -> f.get("f32"));
    assertTrue(c.getMessage().contains("closed") && c.getMessage().contains("\"f32\""), c.getMessage());
  }
}
