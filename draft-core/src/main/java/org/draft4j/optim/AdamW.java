package org.draft4j.optim;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
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
  private final String scheduleName;

  private AdamW(double lr, double beta1, double beta2, double eps, double weightDecay, double clipNorm,
      LearningRateSchedule schedule, String scheduleName) {
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
    this.schedule = schedule;
    this.scheduleName = scheduleName;
  }

  /** AdamW with betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping, constant rate. */
  public static AdamW lr(double lr) {
    return new AdamW(lr, 0.9, 0.999, 1e-8, 0.0, Double.POSITIVE_INFINITY, LearningRateSchedule.constant(), "constant");
  }

  public AdamW betas(double beta1, double beta2) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, clipNorm, schedule, scheduleName);
  }

  public AdamW eps(double eps) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, clipNorm, schedule, scheduleName);
  }

  public AdamW weightDecay(double wd) {
    return new AdamW(lr, beta1, beta2, eps, wd, clipNorm, schedule, scheduleName);
  }

  /** Scales gradients so their global L2 norm is at most {@code maxNorm}. */
  public AdamW clipNorm(double maxNorm) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, maxNorm, schedule, scheduleName);
  }

  /** A learning-rate schedule; {@code name} is recorded in the config. */
  public AdamW schedule(LearningRateSchedule s, String name) {
    return new AdamW(lr, beta1, beta2, eps, weightDecay, clipNorm, s, name);
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
    double sq = 0;
    for (String k : params.keySet()) {
      INDArray g = grads.get(k);
      checkArgument(g != null, "no gradient for parameter %s", k);
      sq += g.norm2Number().doubleValue() * g.norm2Number().doubleValue();
    }
    double norm = Math.sqrt(sq);
    double clip = norm > clipNorm ? clipNorm / (norm + 1e-6) : 1.0;
    long t = state.step() + 1;
    double lrT = learningRate(state.step());
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      INDArray p = e.getValue();
      INDArray g = grads.get(e.getKey()).mul(clip);
      INDArray m = state.slots().get("m/" + e.getKey());
      INDArray v = state.slots().get("v/" + e.getKey());
      checkArgument(m != null && v != null, "optimizer state has no moments for %s", e.getKey());
      m.muli(beta1).addi(g.mul(1 - beta1));
      v.muli(beta2).addi(g.mul(g).muli(1 - beta2));
      if (weightDecay > 0) {
        p.subi(p.mul(lrT * weightDecay));
      }
      INDArray denom = Transforms.sqrt(v.div(bc2), true).addi(eps);
      p.subi(m.div(bc1).divi(denom).muli(lrT));
    }
    state.setStep(t);
    return norm;
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("optimizer", "AdamW");
    m.put("lr", lr);
    m.put("beta1", beta1);
    m.put("beta2", beta2);
    m.put("eps", eps);
    m.put("weight_decay", weightDecay);
    m.put("clip_norm", Double.isInfinite(clipNorm) ? "none" : clipNorm);
    m.put("schedule", scheduleName);
    return m;
  }

  @Override
  public String toString() {
    return config().toString();
  }
}
