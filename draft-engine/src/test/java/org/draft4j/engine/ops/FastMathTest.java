package org.draft4j.engine.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import org.junit.jupiter.api.Test;

/**
 * The float approximations against double references; the bounds below are the worst errors found
 * on a 0.001 grid over [-8, 8] (and [0, 40] for e^-u), with a little room.
 */
class FastMathTest {
  @Property(tries = 2000)
  void tanhSigmoidErfAreAccurate(@ForAll @FloatRange(min = -30, max = 30) float x) {
    assertTrue(Math.abs(FastMath.tanh(x) - Math.tanh(x)) <= 4e-7, "tanh(" + x + ")");
    assertTrue(Math.abs(FastMath.sigmoid(x) - 1 / (1 + Math.exp(-x))) <= 3e-7, "sigmoid(" + x + ")");
    assertTrue(Math.abs(FastMath.erf(x) - FastMath.erf((double) x)) <= 4e-7, "erf(" + x + ")");
  }

  @Property(tries = 1000)
  void expNegIsAccurate(@ForAll @FloatRange(min = 0, max = 60) float u) {
    assertTrue(Math.abs(FastMath.expNeg(u) - Math.exp(-u)) <= 3e-7, "exp(-" + u + ")");
  }

  @Test
  void doubleErfBranchesAgreeAndMatchKnownValues() {
    // erf(1) and erf(3.5) from Abramowitz & Stegun table 7.1 / high-precision references
    assertTrue(Math.abs(FastMath.erf(1.0) - 0.8427007929497149) < 1e-15);
    assertTrue(Math.abs(FastMath.erf(3.5) - 0.9999992569016276) < 1e-15);
    assertTrue(Math.abs(FastMath.erf(-0.5) + 0.5204998778130465) < 1e-15);
    // the series (below 3) and the continued fraction (above) meet smoothly
    double below = FastMath.erf(Math.nextDown(3.0));
    double above = FastMath.erf(3.0);
    assertTrue(Math.abs(below - above) < 1e-12, below + " vs " + above);
  }
}
