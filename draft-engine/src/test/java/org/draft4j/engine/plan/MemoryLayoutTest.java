package org.draft4j.engine.plan;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.buffer.DataType;

/** The static memory planner never places two tensors that are alive at the same time in the same memory. */
class MemoryLayoutTest {
  @Property(tries = 300)
  void liveTensorsNeverOverlapAndTheArenaIsNoLargerThanTheirSum(@ForAll @IntRange(min = 1, max = 60) int count,
      @ForAll long seed) {
    Random r = new Random(seed);
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    int steps = 40;
    long sum = 0;
    for (int i = 0; i < count; i++) {
      TensorInfo t = new TensorInfo("t" + i);
      t.kind = r.nextInt(5) == 0 ? TensorInfo.Kind.INPUT : TensorInfo.Kind.ARENA;
      t.type = DataType.FLOAT;
      t.shape = new long[] {1 + r.nextInt(300)};
      t.def = t.kind == TensorInfo.Kind.INPUT ? -1 : r.nextInt(steps);
      t.last = Math.max(t.def, t.def + r.nextInt(10));
      tensors.put(t.name, t);
      sum += (t.length() + 15) / 16 * 16;
    }
    // a few views that extend their root's life
    for (int i = 0; i < count / 4; i++) {
      TensorInfo root = tensors.get("t" + r.nextInt(count));
      TensorInfo v = new TensorInfo("v" + i);
      v.kind = TensorInfo.Kind.VIEW;
      v.root = root.name;
      v.type = DataType.FLOAT;
      v.shape = root.shape;
      v.def = root.last;
      v.last = root.last + r.nextInt(8);
      tensors.put(v.name, v);
    }
    long total = MemoryLayout.assign(tensors).getOrDefault(DataType.FLOAT, 0L);
    assertTrue(total <= sum, "arena " + total + " > sum of sizes " + sum);
    List<TensorInfo> roots = tensors.values().stream().filter(MemoryLayout::inArena).toList();
    for (TensorInfo a : roots) {
      for (TensorInfo b : roots) {
        if (a == b) {
          continue;
        }
        int aTo = lastUse(a, tensors);
        int bTo = lastUse(b, tensors);
        boolean together = a.def <= bTo && b.def <= aTo;
        boolean overlap = a.arenaOffset < b.arenaOffset + b.length() && b.arenaOffset < a.arenaOffset + a.length();
        assertTrue(!(together && overlap), a + " at " + a.arenaOffset + " overlaps " + b + " at " + b.arenaOffset);
      }
      assertTrue(a.arenaOffset % 16 == 0, "unaligned " + a);
      assertTrue(a.arenaOffset + a.length() <= total, a + " beyond the arena");
    }
  }

  private static int lastUse(TensorInfo t, Map<String, TensorInfo> all) {
    int last = t.last;
    for (TensorInfo v : all.values()) {
      if (v.kind == TensorInfo.Kind.VIEW && t.name.equals(v.root)) {
        last = Math.max(last, v.last);
      }
    }
    return last;
  }
}
