package org.draft4j.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.draft4j.engine.GraphRunner;
import org.draft4j.engine.Graphs;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused ops against SameDiff's own ops for the same math: values and gradients of the input and
 * of γ, β in double (1e-10: the double kernels are exact) and in float (the vectorized
 * approximations: 1e-5 relative); and the double gradients against central finite differences.
 */
class FusedOpsTest {
  /** A graph y = op(x, γ, β), loss Σ y·u; returns outputs and gradients of x, γ, β. */
  private static Map<String, INDArray> run(DataType t, long[] shape, long channels, BiFunction<SameDiff, SDVariable[],
      SDVariable> op, boolean fused, long seed) {
    Nd4j.getRandom().setSeed(seed);
    SameDiff sd = Graphs.create();
    SDVariable x = sd.var("x", Nd4j.randn(t, shape).muli(2).addi(0.3));
    SDVariable g = sd.var("g", Nd4j.rand(t, channels).addi(0.5));
    SDVariable b = sd.var("b", Nd4j.randn(t, channels));
    SDVariable y = op.apply(sd, new SDVariable[] {x, g, b}).rename("y");
    INDArray u = Nd4j.randn(t, shape(y, shape, channels));
    sd.setLossVariables(y.mul(sd.constant(u)).sum().rename("loss"));
    Map<String, INDArray> m = new LinkedHashMap<>();
    if (fused) {
      GraphRunner.Result r = GraphRunner.builder(sd).context(org.draft4j.engine.ExecutionContext.shared()).output("y").output("loss").gradient("x").gradient("g").gradient("b")
          .build().run(Map.of());
      m.putAll(r.outputs());
      r.gradients().forEach((k, v) -> m.put("d" + k, v));
    } else {
      m.putAll(sd.output(Map.of(), "y", "loss"));
      sd.calculateGradients(Map.of(), "x", "g", "b").forEach((k, v) -> m.put("d" + k, v));
    }
    return m;
  }

  private static long[] shape(SDVariable y, long[] in, long channels) {
    return in;
  }

  private static SDVariable groupNormRef(SameDiff sd, SDVariable[] a, long[] s, int groups, Activation f) {
    SDVariable x = a[0];
    long c = s[1];
    long n = 1;
    for (int i = 2; i < s.length; i++) {
      n *= s[i];
    }
    SDVariable xg = x.reshape(-1, groups, c / groups * n);
    SDVariable xc = xg.sub(xg.mean(true, 2));
    SDVariable var = xc.mul(xc).mean(true, 2);
    SDVariable y = xc.mul(sd.math.rsqrt(var.add(1e-5))).reshape(s); // ND4J's divide_bp fails at batch 1
    long[] bs = new long[s.length];
    java.util.Arrays.fill(bs, 1);
    bs[1] = c;
    y = y.mul(a[1].reshape(bs)).add(a[2].reshape(bs));
    return act(sd, y, f);
  }

  private static SDVariable act(SameDiff sd, SDVariable y, Activation f) {
    return switch (f) {
      case NONE -> y;
      case SILU -> sd.nn.swish(y);
      case GELU -> y.mul(0.5).mul(sd.math.erf(y.mul(1 / Math.sqrt(2))).add(1.0));
      case QUICK_GELU -> y.mul(sd.nn.sigmoid(y.mul(1.702)));
    };
  }

  private static void compare(Map<String, INDArray> want, Map<String, INDArray> got, double rel, String what) {
    for (String k : want.keySet()) {
      if (k.equals("loss")) {
        continue; // a sum of cancelling terms: compared through y and the gradients instead
      }
      INDArray a = want.get(k).castTo(DataType.DOUBLE);
      INDArray b = got.get(k).castTo(DataType.DOUBLE);
      double scale = Math.max(1e-3, a.amaxNumber().doubleValue());
      double d = a.sub(b).amaxNumber().doubleValue();
      assertTrue(d <= rel * scale, what + " " + k + ": max difference " + d + " at scale " + scale);
    }
  }

  @Test
  void groupNormWithEachActivationMatchesSameDiff() {
    for (long[] s : new long[][] {{3, 8, 5, 6}, {1, 8, 5, 6}}) {
    for (Activation f : Activation.values()) {
      for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
        BiFunction<SameDiff, SDVariable[], SDVariable> fusedOp = (sd, a) -> GroupNormOp.apply(sd, a[0], a[1], a[2], 4,
            1e-5, f);
        BiFunction<SameDiff, SDVariable[], SDVariable> ref = (sd, a) -> groupNormRef(sd, a, s, 4, f);
        compare(run(t, s, 8, ref, false, 1), run(t, s, 8, fusedOp, true, 1), t == DataType.DOUBLE ? 1e-10 : 1e-5,
            "group norm " + f + " " + t + " " + java.util.Arrays.toString(s));
      }
    }
    }
  }

  @Test
  void layerNormMatchesSameDiff() {
    for (long[] s : new long[][] {{7, 12}, {1, 12}, {1, 3, 12}}) {
    for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
      BiFunction<SameDiff, SDVariable[], SDVariable> fusedOp = (sd, a) -> LayerNormOp.apply(sd, a[0], a[1], a[2], 12,
          1e-5);
      BiFunction<SameDiff, SDVariable[], SDVariable> ref = (sd, a) -> {
        SDVariable xc = a[0].sub(a[0].mean(true, 1));
        SDVariable var = xc.mul(xc).mean(true, 1);
        return xc.mul(sd.math.rsqrt(var.add(1e-5))).mul(a[1]).add(a[2]);
      };
      int last = s.length - 1;
      BiFunction<SameDiff, SDVariable[], SDVariable> refN = (sd, a) -> {
        SDVariable xc = a[0].sub(a[0].mean(true, last));
        SDVariable var = xc.mul(xc).mean(true, last);
        return xc.mul(sd.math.rsqrt(var.add(1e-5))).mul(a[1]).add(a[2]);
      };
      compare(run(t, s, 12, refN, false, 2), run(t, s, 12, fusedOp, true, 2), t == DataType.DOUBLE ? 1e-10 : 1e-5,
          "layer norm " + t + " " + java.util.Arrays.toString(s));
    }
    }
  }

  @Test
  void activationsAndGatedUnitMatchSameDiff() {
    for (long[] s : new long[][] {{5, 16}, {1, 16}}) {
    for (Activation f : Activation.values()) {
      for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
        compare(run(t, s, 16, (sd, a) -> act(sd, a[0].mul(a[1]), f), false, 3),
            run(t, s, 16, (sd, a) -> ActivationOp.apply(sd, a[0].mul(a[1]), f), true, 3),
            t == DataType.DOUBLE ? 1e-10 : 1e-5, "activation " + f + " " + t);
        if (s[0] == 1) {
          continue; // the reference's strided_slice_bp fails on one row in ND4J M2.1
        }
        // gated: y = a·f(b) over p = [a | b]; the graph output is [5, 8] so pad the probe via a second half
        BiFunction<SameDiff, SDVariable[], SDVariable> gated = (sd, a) -> {
          SDVariable y = GatedOp.apply(sd, a[0].mul(a[1]), 8, f);
          return sd.concat(1, y, y);
        };
        BiFunction<SameDiff, SDVariable[], SDVariable> gatedRef = (sd, a) -> {
          SDVariable p = a[0].mul(a[1]);
          SDVariable y = p.get(org.nd4j.autodiff.samediff.SDIndex.all(), org.nd4j.autodiff.samediff.SDIndex.interval(0,
              8)).mul(act(sd, p.get(org.nd4j.autodiff.samediff.SDIndex.all(),
                  org.nd4j.autodiff.samediff.SDIndex.interval(8, 16)), f));
          return sd.concat(1, y, y);
        };
        compare(run(t, s, 16, gatedRef, false, 4), run(t, s, 16, gated, true, 4), t == DataType.DOUBLE ? 1e-10 : 1e-5,
            "gated " + f + " " + t + " " + java.util.Arrays.toString(s));
      }
    }
    }
  }

  @Test
  void doubleGradientsMatchFiniteDifferences() {
    Nd4j.getRandom().setSeed(9);
    SameDiff sd = Graphs.create();
    SDVariable x = sd.var("x", Nd4j.randn(DataType.DOUBLE, 2, 8, 3, 3));
    SDVariable g = sd.var("g", Nd4j.rand(DataType.DOUBLE, 8).addi(0.5));
    SDVariable b = sd.var("b", Nd4j.randn(DataType.DOUBLE, 8));
    SDVariable g2 = sd.var("g2", Nd4j.rand(DataType.DOUBLE, 9).addi(0.5));
    SDVariable b2 = sd.var("b2", Nd4j.randn(DataType.DOUBLE, 9));
    SDVariable y = GroupNormOp.apply(sd, x, g, b, 2, 1e-5, Activation.SILU); // [2, 8, 3, 3]
    SDVariable tok = y.reshape(-1, 9);
    tok = LayerNormOp.apply(sd, tok, g2, b2, 9, 1e-5);
    SDVariable gated = GatedOp.apply(sd, sd.concat(1, tok, tok.mul(0.7)), 9, Activation.GELU);
    SDVariable out = ActivationOp.apply(sd, gated, Activation.QUICK_GELU);
    INDArray probe = Nd4j.randn(DataType.DOUBLE, 16, 9);
    SDVariable loss = out.mul(sd.constant(probe)).sum().rename("loss");
    sd.setLossVariables(loss);
    List<String> names = new ArrayList<>(List.of("x", "g", "b", "g2", "b2"));
    GraphRunner.Builder gb = GraphRunner.builder(sd).context(org.draft4j.engine.ExecutionContext.shared()).label("fused chain");
    names.forEach(gb::gradient);
    Map<String, INDArray> grads = gb.build().run(Map.of()).gradients();
    GraphRunner lossRunner = GraphRunner.builder(sd).context(org.draft4j.engine.ExecutionContext.shared()).output("loss").label("fused chain loss").build();
    for (String n : names) {
      INDArray arr = sd.getVariable(n).getArr();
      for (int i = 0; i < 5; i++) {
        long idx = (i * 37L + 3) % arr.length();
        double v = arr.getDouble(idx);
        double h = 1e-6;
        arr.putScalar(idx, v + h);
        double lp = lossRunner.run(Map.of()).outputs().get("loss").getDouble(0);
        arr.putScalar(idx, v - h);
        double lm = lossRunner.run(Map.of()).outputs().get("loss").getDouble(0);
        arr.putScalar(idx, v);
        double fd = (lp - lm) / (2 * h);
        assertEquals(fd, grads.get(n).getDouble(idx), 1e-6 * Math.max(1, Math.abs(fd)), n + "[" + idx + "]");
      }
    }
  }
}
