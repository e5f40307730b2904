package org.draft4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AtomicFilesTest {
  @TempDir Path dir;

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesAndReplacesWithoutLeavingTemporaryFiles() throws IOException {
    Path f = dir.resolve("a.json");
    AtomicFiles.writeString(f, "first");
    AtomicFiles.writeString(f, "second, longer");
    assertEquals("second, longer", Files.readString(f));
    assertEquals(List.of("a.json"), names());
  }

  @Test
  void createsMissingParentDirectories() throws IOException {
    Path f = dir.resolve("x/y/z.txt");
    AtomicFiles.writeString(f, "deep");
    assertEquals("deep", Files.readString(f));
  }

  /** A disk that fills after a megabyte: the previous file survives, nothing is left behind, the error names the file. */
  @Test
  void aWriteErrorPartwayLeavesThePreviousFileIntact() throws IOException {
    Path f = dir.resolve("checkpoint.safetensors");
    byte[] before = new byte[3000];
    for (int i = 0; i < before.length; i++) {
      before[i] = (byte) (i * 31);
    }
    AtomicFiles.write(f, out -> out.write(before));
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
      out.write(new byte[1 << 20]);
      throw new IOException("No space left on device");
    }));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(f));
    assertEquals(List.of("checkpoint.safetensors"), names());
  }

  @Test
  void anUncheckedFailureInTheWriterIsRethrownAfterCleaningUp() throws IOException {
    Path f = dir.resolve("adapter.safetensors");
    AtomicFiles.writeString(f, "old");
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
      out.write(new byte[100_000]);
      throw boom;
    }));
    assertSame(boom, e);
    assertEquals("old", Files.readString(f));
    assertEquals(List.of("adapter.safetensors"), names());
  }

  @Test
  void aFailedFirstWriteLeavesNoFile() throws IOException {
    Path f = dir.resolve("new.bin");
    assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
      out.write(1);
      throw new IOException("I/O error");
    }));
    assertEquals(List.of(), names());
  }

  @Test
  void aDirectoryTargetIsRefusedByName() throws IOException {
    Path d = Files.createDirectory(dir.resolve("model"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AtomicFiles.writeString(d, "x"));
    assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
  }

  /** Safetensors.write goes through the same path: a parent that is a file fails with one error naming the target. */
  @Test
  void safetensorsWriteErrorsNameTheTarget() throws IOException {
    Path f = dir.resolve("w.safetensors");
    INDArray a = Nd4j.createFromArray(1f, 2f, 3f);
    Safetensors.write(f, Map.of("a", a), Map.of());
    Files.writeString(dir.resolve("blocker"), "a file, not a directory");
    Path bad = dir.resolve("blocker/w.safetensors");
    SafetensorsException e = assertThrows(SafetensorsException.class,
        () -> Safetensors.write(bad, Map.of("a", a), Map.of()));
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    Safetensors.write(f, Map.of("a", a.mul(2)), Map.of());
    assertArrayEquals(new float[] {2, 4, 6}, Safetensors.read(f).get("a").toFloatVector());
    assertEquals(List.of("blocker", "w.safetensors"), names());
  }
}
