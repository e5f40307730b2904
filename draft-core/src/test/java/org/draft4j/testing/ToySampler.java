package org.draft4j.testing;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.draft4j.spi.Conditioning;
import org.draft4j.spi.Denoiser;
import org.draft4j.spi.Gradients;
import org.draft4j.spi.Sampler;
import org.draft4j.spi.SamplingSchedule;
import org.draft4j.spi.Span;
import org.draft4j.spi.StepPenalty;
import org.draft4j.spi.Trajectory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The smallest sampler with everything objectives and the trainer use, for tests that must not
 * depend on draft-samplers: n Euler steps {@code x_{i+1} = x_i − h·out_i} with {@code h = 1/n},
 * {@code out_i = o_u + g·(o_c − o_u)} the guided model output at timestep
 * {@code t_i = round(999·(1 − i/n))}, the read-out {@code x̂₀ = x_i − (n − i)·h·out_i}, and
 * re-noising {@code x = √ā_i·x₀ + √(1 − ā_i)·ε} with {@code ā_i = (i + 1)/(n + 1)}. Its backward is
 * exact: {@code dL/dx_i = a·g + J_xᵀ(b·g)} for {@code y = a·x + b·out}.
 */
public final class ToySampler implements Sampler {
  private final int n;
  private final double guidance;

  private ToySampler(int n, double guidance) {
    checkArgument(n >= 1, "ToySampler needs n >= 1 steps, got %s", n);
    this.n = n;
    this.guidance = guidance;
  }

  /** n steps, guidance scale g (1: conditional only). */
  public static ToySampler steps(int n, double guidance) {
    return new ToySampler(n, guidance);
  }

  @Override
  public SamplingSchedule schedule() {
    return new SamplingSchedule() {
      @Override
      public int numSteps() {
        return n;
      }

      @Override
      public int timestep(int step) {
        checkArgument(step >= 0 && step < n, "step %s outside [0, %s)", step, n);
        return (int) Math.round(999.0 * (1 - (double) step / n));
      }

      @Override
      public INDArray noiseTo(INDArray x0, int step, INDArray noise) {
        double a = (step + 1.0) / (n + 1.0);
        return x0.mul(Math.sqrt(a)).addi(noise.mul(Math.sqrt(1 - a)));
      }
    };
  }

  private boolean guided(Conditioning c) {
    return guidance != 1.0 && c.uncond() != null;
  }

  private INDArray timesteps(long b, int step) {
    return Nd4j.valueArrayOf(new long[] {b}, (float) schedule().timestep(step), DataType.FLOAT);
  }

  INDArray guidedOutput(Denoiser model, Conditioning c, INDArray x, int step) {
    long b = x.size(0);
    if (!guided(c)) {
      return model.predict(x, timesteps(b, step), c.cond());
    }
    INDArray o = model.predict(Nd4j.concat(0, x, x), timesteps(2 * b, step), Nd4j.concat(0, c.uncond(), c.cond()));
    INDArray ou = o.get(NDArrayIndex.interval(0, b));
    INDArray oc = o.get(NDArrayIndex.interval(b, 2 * b));
    return ou.add(oc.sub(ou).muli(guidance));
  }

  private Denoiser.Vjp guidedVjp(Denoiser model, Conditioning c, INDArray x, int step, INDArray u) {
    long b = x.size(0);
    if (!guided(c)) {
      return model.vjp(x, timesteps(b, step), c.cond(), u);
    }
    Denoiser.Vjp v = model.vjp(Nd4j.concat(0, x, x), timesteps(2 * b, step), Nd4j.concat(0, c.uncond(), c.cond()),
        Nd4j.concat(0, u.mul(1 - guidance), u.mul(guidance)));
    INDArray dx = v.sampleGrad().get(NDArrayIndex.interval(0, b)).add(v.sampleGrad().get(NDArrayIndex.interval(b, 2 * b)));
    return new Denoiser.Vjp(dx, v.paramGrads());
  }

  /** Coefficients (a, b) of step i's output y = a·x + b·out: the next state, or x̂₀ for the read-out. */
  private double[] coefficients(int step, boolean readOut) {
    double h = 1.0 / n;
    return new double[] {1, readOut ? -(n - step) * h : -h};
  }

  @Override
  public Trajectory rollout(Denoiser model, Conditioning cond, INDArray x, long[] seeds, Span span) {
    checkArgument(span.to() <= n, "span [%s, %s) outside the sampler's %s steps", span.from(), span.to(), n);
    List<INDArray> kept = new ArrayList<>();
    INDArray cur = x;
    for (int i = span.from(); i < span.to(); i++) {
      if (i >= span.differentiateFrom()) {
        kept.add(cur);
      }
      double[] ab = coefficients(i, span.predictX0() && i == span.to() - 1);
      cur = cur.mul(ab[0]).addi(guidedOutput(model, cond, cur, i).muli(ab[1]));
    }
    INDArray out = cur;
    return new Trajectory() {
      @Override
      public Span span() {
        return span;
      }

      @Override
      public INDArray output() {
        return out;
      }

      @Override
      public Gradients backward(INDArray gradOutput, StepPenalty penalty) {
        INDArray g = gradOutput;
        Gradients params = Gradients.none();
        for (int k = kept.size() - 1; k >= 0; k--) {
          int step = span.differentiateFrom() + k;
          INDArray xs = kept.get(k);
          double[] ab = coefficients(step, span.predictX0() && step == span.to() - 1);
          INDArray u = g.mul(ab[1]);
          if (penalty != null) {
            INDArray extra = penalty.cotangent(step, xs, guidedOutput(model, cond, xs, step), () -> {
              boolean was = model.setAdaptersEnabled(false);
              try {
                return guidedOutput(model, cond, xs, step);
              } finally {
                model.setAdaptersEnabled(was);
              }
            });
            if (extra != null) {
              u.addi(extra);
            }
          }
          Denoiser.Vjp v = guidedVjp(model, cond, xs, step, u);
          g = g.mul(ab[0]).addi(v.sampleGrad());
          params = params.accumulate(new Gradients(null, v.paramGrads()));
        }
        return new Gradients(g, params.params());
      }
    };
  }

  @Override
  public String toString() {
    return "ToySampler.steps(" + n + ", " + guidance + ")";
  }
}
