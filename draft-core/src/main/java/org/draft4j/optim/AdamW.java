package org.draft4j.optim;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.engine.HostFloats;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AdamW (Loshchilov &amp; Hutter), PyTorch's update: with optional global-norm clipping of g,
 * <pre>
 *   m ← β1 m + (1−β1) g ;  v ← β2 v + (1−β2) g²
 *   θ ← θ − lr_t·wd·θ − lr_t · (m/(1−β1^t)) / (√(v/(1−β2^t)) + ε)
 * </pre>
 * An immutable value: {@code AdamW.lr(1e-4).weightDecay(0.01).clipNorm(1.0)}.
 */
public final class AdamW implements Optimizer {
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final double clipNorm;
  private final LearningRateSchedule schedule;

  private AdamW(double lr, double beta1, double beta2, double eps, double weightDecay, double clipNorm,
      LearningRateSchedule schedule) {
    checkArgument(lr > 0 && Double.isFinite(lr), "learning rate %s must be finite and > 0", lr);
    checkArgument(beta1 >= 0 && beta1 < 1, "beta1 %s must be in [0, 1)", beta1);
    checkArgument(beta2 >= 0 && beta2 < 1, "beta2 %s must be in [0, 1)", beta2);
    checkArgument(eps > 0, "eps %s must be > 0", eps);
    checkArgument(weightDecay >= 0, "weight decay %s must be >= 0", weightDecay);
    checkArgument(clipNorm > 0, "clip norm %s must be > 0 (use Double.POSITIVE_INFINITY for none)", clipNorm);
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.clipNorm = clipNorm;
    this.schedule = checkNotNull(schedule, "schedule");
  }

  /** AdamW with betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping, constant rate. */
  public static AdamW lr(double lr) {
    return new AdamW(lr, 0.9, 0.999, 1e-8, 0.0, Double.POSITIVE_INFINITY, LearningRateSchedule.constant());
  }

  public AdamW betas(double beta1, double beta2) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, clipNorm, schedule);
  }

  public AdamW eps(double eps) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, clipNorm, schedule);
  }

  public AdamW weightDecay(double wd) {
    return new AdamW(lr, beta1, beta2, eps, wd, clipNorm, schedule);
  }

  /** Scales gradients so their global L2 norm is at most {@code maxNorm}. */
  public AdamW clipNorm(double maxNorm) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, maxNorm, schedule);
  }

  /** A learning-rate schedule (recorded in the config with its parameters). */
  public AdamW schedule(LearningRateSchedule s) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, clipNorm, s);
  }

  @Override
  public OptimizerState init(Map<String, INDArray> params) {
    OptimizerState s = new OptimizerState();
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      s.slots().put("m/" + e.getKey(), Nd4j.zerosLike(e.getValue()));
      s.slots().put("v/" + e.getKey(), Nd4j.zerosLike(e.getValue()));
    }
    return s;
  }

  @Override
  public double learningRate(long step) {
    return lr * schedule.factor(step);
  }

  @Override
  public double update(Map<String, INDArray> params, Map<String, INDArray> grads, OptimizerState state) {
    boolean fast = true;
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      INDArray g = grads.get(e.getKey());
      checkArgument(g != null, "no gradient for parameter %s", e.getKey());
      INDArray m = state.slots().get("m/" + e.getKey());
      INDArray v = state.slots().get("v/" + e.getKey());
      checkArgument(m != null && v != null, "optimizer state has no moments for %s", e.getKey());
      fast &= hostFloat(e.getValue()) && hostFloat(g) && hostFloat(m) && hostFloat(v);
    }
    double norm = Math.sqrt(fast ? squaredNormHost(params, grads) : squaredNorm(params, grads));
    double clip = norm > clipNorm ? clipNorm / (norm + 1e-6) : 1.0;
    long t = state.step() + 1;
    double lrT = learningRate(state.step());
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    float[][] buf = fast ? new float[4][HostFloats.CHUNK] : null;
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      INDArray p = e.getValue();
      INDArray g = grads.get(e.getKey());
      INDArray m = state.slots().get("m/" + e.getKey());
      INDArray v = state.slots().get("v/" + e.getKey());
      if (fast) {
        stepHost(p, g, m, v, buf, (float) clip, lrT, (float) bc1, (float) bc2);
      } else {
        INDArray gc = g.mul(clip);
        m.muli(beta1).addi(gc.mul(1 - beta1));
        v.muli(beta2).addi(gc.mul(gc).muli(1 - beta2));
        if (weightDecay > 0) {
          p.subi(p.mul(lrT * weightDecay));
        }
        INDArray denom = Transforms.sqrt(v.div(bc2), true).addi(eps);
        p.subi(m.div(bc1).divi(denom).muli(lrT));
      }
    }
    state.setStep(t);
    return norm;
  }

  private static boolean hostFloat(INDArray a) {
    return HostFloats.supported(a);
  }

  private static double squaredNorm(Map<String, INDArray> params, Map<String, INDArray> grads) {
    double sq = 0;
    for (String k : params.keySet()) {
      double n = grads.get(k).norm2Number().doubleValue();
      sq += n * n;
    }
    return sq;
  }

  /** Σ g² over all gradients, accumulated in double, without temporary arrays. */
  private static double squaredNormHost(Map<String, INDArray> params, Map<String, INDArray> grads) {
    double sq = 0;
    for (String k : params.keySet()) {
      sq = HostFloats.addSquares(sq, grads.get(k));
    }
    return sq;
  }

  /**
   * One AdamW step of one float parameter in place, chunk by chunk through heap buffers:
   * {@code ĝ = c·g; m ← β₁m + (1−β₁)ĝ; v ← β₂v + (1−β₂)ĝ²; p ← p − ηλp; p ← p − η·(m/b₁)/(√(v/b₂) + ε)}.
   */
  private void stepHost(INDArray p, INDArray g, INDArray m, INDArray v, float[][] buf, float clip, double lr,
      float bc1, float bc2) {
    float lrT = (float) lr;
    float b1 = (float) beta1;
    float c1 = (float) (1 - beta1);
    float b2 = (float) beta2;
    float c2 = (float) (1 - beta2);
    float decay = (float) (lr * weightDecay);
    float e = (float) eps;
    boolean decays = weightDecay > 0;
    HostFloats.update((chunks, n) -> {
      float[] pc = chunks[0];
      float[] mc = chunks[1];
      float[] vc = chunks[2];
      float[] gc = chunks[3];
      for (int i = 0; i < n; i++) {
        float gi = gc[i] * clip;
        float mi = mc[i] * b1 + gi * c1;
        float vi = vc[i] * b2 + gi * gi * c2;
        float pi = pc[i];
        if (decays) {
          pi = pi - pi * decay;
        }
        float denom = (float) Math.sqrt(vi / bc2) + e;
        pc[i] = pi - mi / bc1 / denom * lrT;
        mc[i] = mi;
        vc[i] = vi;
      }
    }, buf, 3, p, m, v, g);
  }

  /**
   * The hyperparameters as a record: {@code clipNorm} is null without clipping (JSON has no ∞).
   */
  public record Config(double lr, double beta1, double beta2, double eps,
      @JsonProperty("weight_decay") double weightDecay, @JsonProperty("clip_norm") Double clipNorm,
      LearningRateSchedule schedule) {
    /** The optimizer these hyperparameters describe. */
    public AdamW optimizer() {
      return new AdamW(lr, beta1, beta2, eps, weightDecay, clipNorm == null ? Double.POSITIVE_INFINITY : clipNorm,
          schedule);
    }
  }

  /** The hyperparameters as a typed value. */
  public Config hyperparameters() {
    return new Config(lr, beta1, beta2, eps, weightDecay, Double.isInfinite(clipNorm) ? null : clipNorm, schedule);
  }

  @Override
  @SuppressWarnings("unchecked")
  public Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("optimizer", "AdamW");
    m.putAll(Json.mapper().convertValue(hyperparameters(), LinkedHashMap.class));
    return m;
  }

  @Override
  public String toString() {
    return config().toString();
  }
}
