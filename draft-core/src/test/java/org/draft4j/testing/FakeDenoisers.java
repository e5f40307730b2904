package org.draft4j.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.spi.Denoiser;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Closed-form denoisers for sampler tests. */
public final class FakeDenoisers {
  private FakeDenoisers() {}

  /**
   * The golden file's fake model: {@code eps(x,t) = 0.1x + 0.01t/1000} for context 0 (unconditional),
   * {@code eps_text(x,t) = -0.05x + 0.02(1 - t/1000)} for context 1.
   */
  public static Denoiser golden() {
    return predicting((x, t, ctx) -> {
      INDArray out = Nd4j.create(x.dataType(), x.shape());
      for (int b = 0; b < x.size(0); b++) {
        double tt = t.getDouble(b);
        INDArray xb = x.get(NDArrayIndex.point(b));
        INDArray o = ctx.getDouble(b, 0, 0) == 0 ? xb.mul(0.1).add(0.01 * tt / 1000)
            : xb.mul(-0.05).add(0.02 * (1 - tt / 1000));
        out.get(NDArrayIndex.point(b)).assign(o);
      }
      return out;
    });
  }

  /** Fixed outputs by prompt: {@code uncond} for rows whose context is 0 (the empty prompt's), else {@code cond}. */
  public static Denoiser byContext(INDArray uncond, INDArray cond) {
    return predicting((x, t, ctx) -> {
      INDArray[] rows = new INDArray[(int) x.size(0)];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = ctx.getDouble(i, 0, 0) == 0 ? uncond : cond;
      }
      return Nd4j.concat(0, rows);
    });
  }

  /** A prediction function. */
  public interface Prediction {
    INDArray predict(INDArray x, INDArray t, INDArray ctx);
  }

  /** A denoiser that only predicts (no gradient, no parameters, no adapters). */
  public static Denoiser predicting(Prediction f) {
    return new Denoiser() {
      @Override
      public INDArray predict(INDArray x, INDArray t, INDArray ctx) {
        return f.predict(x, t, ctx);
      }

      @Override
      public Vjp vjp(INDArray x, INDArray t, INDArray ctx, INDArray u) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Map<String, INDArray> trainableParameters() {
        return Map.of();
      }

      @Override
      public boolean setAdaptersEnabled(boolean enabled) {
        return true;
      }
    };
  }

  /**
   * A differentiable toy: {@code out = w ⊙ tanh(x + c) + 0.001·t} with a per-channel parameter w
   * {@code [1, C, 1, 1]} and c the context value broadcast; exact VJPs, in double precision.
   */
  public static final class Toy implements Denoiser {
    public final INDArray w;
    boolean enabled = true;

    public Toy(INDArray w) {
      this.w = w;
    }

    private INDArray weight() {
      return enabled ? w : Nd4j.onesLike(w);
    }

    private static INDArray shifted(INDArray x, INDArray ctx) {
      INDArray c = ctx.reshape(ctx.size(0), -1).get(NDArrayIndex.all(), NDArrayIndex.point(0)).reshape(-1, 1, 1, 1);
      return x.add(c.broadcast(x.shape()));
    }

    @Override
    public INDArray predict(INDArray x, INDArray t, INDArray ctx) {
      INDArray th = Transforms.tanh(shifted(x, ctx), true);
      INDArray tt = t.castTo(x.dataType()).reshape(-1, 1, 1, 1).broadcast(x.shape()).mul(0.001);
      return th.mul(weight().broadcast(x.shape())).add(tt);
    }

    @Override
    public Vjp vjp(INDArray x, INDArray t, INDArray ctx, INDArray u) {
      INDArray th = Transforms.tanh(shifted(x, ctx), true);
      INDArray wb = weight().broadcast(x.shape());
      INDArray dx = u.mul(wb).mul(th.mul(th).rsub(1.0));
      INDArray dw = u.mul(th).sum(true, 0, 2, 3);
      Map<String, INDArray> g = new LinkedHashMap<>();
      g.put("w", dw.reshape(w.shape()).castTo(DataType.DOUBLE));
      return new Vjp(dx, g);
    }

    @Override
    public Map<String, INDArray> trainableParameters() {
      return Map.of("w", w);
    }

    @Override
    public boolean setAdaptersEnabled(boolean e) {
      boolean p = enabled;
      enabled = e;
      return p;
    }
  }
}
