package org.draft4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** F16 / BF16 narrowing rounds to nearest, ties to even, and round-trips every representable value. */
class NarrowFloatsTest {
  @TempDir Path dir;

  private static float half(int bits) {
    return TensorDecoding.halfToFloat((short) bits);
  }

  private static float bf16(int bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  @Test
  void everyFiniteHalfAndBfloat16RoundTrips() {
    for (int h = 0; h < 0x10000; h++) {
      float f = half(h);
      if (!Float.isNaN(f)) {
        assertEquals(h, TensorDecoding.floatToHalf(f) & 0xffff, "half bits " + Integer.toHexString(h));
      }
      float b = bf16(h);
      if (!Float.isNaN(b)) {
        assertEquals(h, TensorDecoding.floatToBfloat16(b) & 0xffff, "bf16 bits " + Integer.toHexString(h));
      }
    }
  }

  @Test
  void tiesGoToEven() {
    for (int h = 0; h < 0x7bff; h++) { // positive finite halves and their upper neighbours
      double mid = ((double) half(h) + half(h + 1)) / 2;
      int even = (h & 1) == 0 ? h : h + 1;
      assertEquals(even, TensorDecoding.floatToHalf((float) mid) & 0xffff, "midpoint above " + Integer.toHexString(h));
    }
    assertEquals(0x7c00, TensorDecoding.floatToHalf(65520f) & 0xffff, "65520 rounds up to infinity in binary16");
    assertEquals(0x7bff, TensorDecoding.floatToHalf(65519f) & 0xffff);
  }

  @Property(tries = 2000)
  void halfIsTheNearestRepresentable(@ForAll @FloatRange(min = -60000f, max = 60000f) float v) {
    int h = TensorDecoding.floatToHalf(v) & 0xffff;
    double err = Math.abs((double) v - half(h));
    for (int n : new int[] {h - 1, h + 1}) {
      float other = half(n & 0xffff);
      if (!Float.isNaN(other) && !Float.isInfinite(other) && Math.signum(other) == Math.signum(half(h))) {
        assertTrue(err <= Math.abs((double) v - other), v + " -> " + half(h) + " but " + other + " is nearer");
      }
    }
  }

  @Property(tries = 2000)
  void bfloat16IsTheNearestRepresentable(@ForAll float v) {
    int b = TensorDecoding.floatToBfloat16(v) & 0xffff;
    double err = Math.abs((double) v - bf16(b));
    for (int n : new int[] {b - 1, b + 1}) {
      float other = bf16(n);
      if (!Float.isNaN(other) && !Float.isInfinite(other) && Math.signum(other) == Math.signum(bf16(b))
          && !Float.isInfinite(bf16(b))) {
        assertTrue(err <= Math.abs((double) v - other), v + " -> " + bf16(b) + " but " + other + " is nearer");
      }
    }
  }

  @Test
  void narrowFilesReadBackAsTheRoundedValues() {
    INDArray a = Nd4j.createFromArray(new float[] {1.0001f, -3.14159f, 1e-6f, 70000f, 0f});
    for (SafetensorsDType t : new SafetensorsDType[] {SafetensorsDType.F16, SafetensorsDType.BF16}) {
      Path p = dir.resolve(t + ".safetensors");
      Safetensors.write(p, Map.of("a", a), Map.of(), t);
      try (SafetensorsFile f = SafetensorsFile.open(p)) {
        assertEquals(t, f.dtype("a"));
        float[] got = f.get("a").toFloatVector();
        for (int i = 0; i < got.length; i++) {
          float v = a.getFloat(i);
          float want = t == SafetensorsDType.F16 ? half(TensorDecoding.floatToHalf(v)) : bf16(
              TensorDecoding.floatToBfloat16(v));
          assertEquals(want, got[i], 0f, t + " element " + i);
        }
      }
    }
  }
}
