package org.draft4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The fast generator reproduces java.util.Random bit for bit (random initializations stay as they were). */
class JavaRandomTest {
  @Property(tries = 100)
  void bulkUniformFillMatchesNextDouble(@ForAll long seed) {
    Random ref = new Random(seed);
    JavaRandom fast = new JavaRandom(seed);
    float[] out = new float[257];
    double bound = 0.125;
    fast.fillUniform(out, 200, bound);
    for (int i = 0; i < 200; i++) {
      assertEquals(Float.floatToRawIntBits((float) ((ref.nextDouble() * 2 - 1) * bound)), Float.floatToRawIntBits(out[i]));
    }
    // the state continues where the bulk fill stopped
    assertEquals(Double.doubleToRawLongBits(ref.nextDouble()), Double.doubleToRawLongBits(fast.nextDouble()));
  }

  @Property(tries = 200)
  void sameDoublesAndGaussiansAsJavaUtilRandom(@ForAll long seed) {
    Random ref = new Random(seed);
    JavaRandom fast = new JavaRandom(seed);
    for (int i = 0; i < 300; i++) {
      if (i % 3 == 0) {
        assertEquals(Double.doubleToRawLongBits(ref.nextGaussian()), Double.doubleToRawLongBits(fast.nextGaussian()));
      } else {
        assertEquals(Double.doubleToRawLongBits(ref.nextDouble()), Double.doubleToRawLongBits(fast.nextDouble()));
      }
    }
  }
}
