package org.draft4j.engine.kernel;

import org.draft4j.engine.plan.Tracer;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The Java strided copy equals ND4J's own copy for random permutations of random shapes. */
class StridedCopyTest {
  @Property(tries = 100)
  void copiesPermutedViews(@ForAll @IntRange(min = 1, max = 5) int rank, @ForAll long seed) {
    Random r = new Random(seed);
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = 1 + r.nextInt(6);
    }
    Nd4j.getRandom().setSeed(seed);
    INDArray base = Nd4j.rand(DataType.FLOAT, shape);
    List<Integer> p = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      p.add(i);
    }
    Collections.shuffle(p, r);
    int[] perm = p.stream().mapToInt(Integer::intValue).toArray();
    INDArray view = base.permute(perm);
    INDArray dst = Nd4j.create(DataType.FLOAT, view.shape());
    Kernel k = StridedCopy.create("copy", view, dst);
    assertNotNull(k);
    k.run();
    assertTrue(Tracer.exactlyEqual(view.dup('c'), dst), "permutation " + java.util.Arrays.toString(perm));
  }
}
