package org.draft4j.examples;

import java.util.Collections;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNetDenoiser;
import org.draft4j.spi.NoiseSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Scratch timing (not a test). */
public class SpeedProbe {
  public static void main(String[] a) {
    TextToImageModel m = DemoModel.random(0);
    UNetDenoiser d = m.newDenoiser();
    int b = Integer.parseInt(a[0]);
    INDArray x = NoiseSource.batch(new long[b], 1, 3, 32, 32);
    INDArray ctx = m.encode(Collections.nCopies(b, "a red star"));
    INDArray t = Nd4j.valueArrayOf(new long[] {b}, 500f);
    for (int i = 0; i < 12; i++) {
      long t1 = System.nanoTime();
      d.vjp(x, t, ctx, x);
      long t2 = System.nanoTime();
      d.predict(x, t, ctx);
      long t3 = System.nanoTime();

      System.out.printf("vjp %.0f ms fwd %.0f ms%n", (t2 - t1) / 1e6, (t3 - t2) / 1e6);
    }
  }
}
