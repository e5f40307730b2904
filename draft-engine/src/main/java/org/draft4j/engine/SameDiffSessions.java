package org.draft4j.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The executor draft4j used before its engine ({@link ExecutionMode#SAMEDIFF}): SameDiff's
 * sessions, dropped after every call (they remember every array id they ever freed), and a garbage
 * collection whenever resident memory grew by more than 512 MB or before a backward pass, because
 * ND4J frees the native memory of dropped arrays only when Java collects them. Kept unchanged so the
 * engine can be measured against it in one process.
 */
final class SameDiffSessions {
  private static final long BUDGET = 512L << 20;
  private static long baseline = -1;

  private SameDiffSessions() {}

  static GraphRunner.Result run(SameDiff sd, Map<String, INDArray> feeds, List<String> outputs, List<String> wrt,
      Map<String, String> gradNames, BiFunction<String, Map<String, INDArray>, INDArray> zeros) {
    synchronized (sd) {
      Map<String, INDArray> ph = new HashMap<>();
      for (Map.Entry<String, INDArray> e : feeds.entrySet()) {
        SDVariable v = sd.getVariable(e.getKey());
        if (v.isPlaceHolder()) {
          ph.put(e.getKey(), e.getValue().castTo(v.dataType()));
        } else {
          v.setArray(e.getValue().castTo(v.dataType()).dup());
        }
      }
      Map<String, INDArray> outs = new LinkedHashMap<>();
      if (!outputs.isEmpty()) {
        Map<String, INDArray> r = sd.output(ph, outputs.toArray(new String[0]));
        outputs.forEach(o -> outs.put(o, r.get(o)));
      }
      Map<String, INDArray> grads = new LinkedHashMap<>();
      if (!wrt.isEmpty()) {
        collect();
        List<String> names = new ArrayList<>();
        for (String w : wrt) {
          if (gradNames.get(w) != null) {
            names.add(w);
          }
        }
        Map<String, INDArray> g = names.isEmpty() ? Map.of() : sd.calculateGradients(ph, names);
        for (String w : wrt) {
          INDArray a = g.get(w);
          grads.put(w, a != null ? a : zeros.apply(w, feeds));
        }
      }
      sd.getSessions().clear();
      SameDiff gf = sd.getFunction("grad");
      if (gf != null && gf != sd) {
        gf.getSessions().clear();
      }
      checkpoint();
      return new GraphRunner.Result(outs, grads);
    }
  }

  private static synchronized void collect() {
    System.gc();
    baseline = Math.max(0, rss());
  }

  private static synchronized void checkpoint() {
    long rss = rss();
    if (rss < 0) {
      return;
    }
    if (baseline < 0) {
      baseline = rss;
    } else if (rss - baseline > BUDGET) {
      System.gc();
      baseline = Math.max(0, rss());
    }
  }

  private static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

}
