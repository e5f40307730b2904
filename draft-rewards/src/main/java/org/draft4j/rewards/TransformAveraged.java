package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A reward averaged over fixed image augmentations, {@code r̄(x) = (1/A) Σ_a r(T_a x)}, as
 * CLIP-guided generation averages over cutouts: a gradient that only raises the score of the exact
 * pixels (an adversarial pattern) is damped, one that changes what the image shows is kept. Each
 * {@code T_a} is a translation by whole pixels (edge pixels repeated) followed by a Gaussian blur,
 * a separable linear map {@code T x = M_h · x · M_wᵀ} per channel.
 */
public final class TransformAveraged implements Reward {
  /** One augmentation: shift down {@code dy} and right {@code dx} pixels, then blur with std {@code sigma} px (0: none). */
  public record Augmentation(int dy, int dx, double sigma) {
    public Augmentation {
      checkArgument(sigma >= 0 && Double.isFinite(sigma), "sigma: %s; needs a finite value >= 0", sigma);
    }
  }

  private final Reward inner;
  private final List<Augmentation> augmentations;

  TransformAveraged(Reward inner, List<Augmentation> augmentations) {
    checkArgument(inner != null, "reward must not be null");
    checkArgument(augmentations != null && !augmentations.isEmpty(), "augmentations: %s; give at least one",
        augmentations);
    this.inner = inner;
    this.augmentations = List.copyOf(augmentations);
  }

  @Override
  public SDVariable score(RewardGraph g, SDVariable images) {
    long h = g.height();
    long w = g.width();
    SDVariable sum = null;
    for (Augmentation a : augmentations) {
      checkArgument(Math.abs(a.dy()) < h && Math.abs(a.dx()) < w, "augmentation %s: shift exceeds the %sx%s image", a,
          h, w);
      SDVariable x = images;
      if (a.dy() != 0 || a.dx() != 0 || a.sigma() > 0) {
        INDArray mw = matrix((int) w, a.dx(), a.sigma());
        INDArray mh = matrix((int) h, a.dy(), a.sigma());
        // rows: [B,3,H,W] -> [B*3*H, W] · M_wᵀ; columns: transpose H and W, then · M_hᵀ
        SDVariable y = g.sd().mmul(images.reshape(-1, w), g.sd().constant(mw), false, true, false)
            .reshape(-1, 3, h, w).permute(0, 1, 3, 2);
        x = g.sd().mmul(y.reshape(-1, h), g.sd().constant(mh), false, true, false).reshape(-1, 3, w, h)
            .permute(0, 1, 3, 2);
      }
      SDVariable r = inner.score(g, x);
      sum = sum == null ? r : sum.add(r);
    }
    return sum.div(augmentations.size());
  }

  /** {@code M = B_σ · S_d} over n pixels: shift by d with edges repeated, then Gaussian blur (edges repeated). */
  static INDArray matrix(int n, int d, double sigma) {
    double[][] s = new double[n][n];
    for (int i = 0; i < n; i++) {
      s[i][Math.min(n - 1, Math.max(0, i - d))] = 1;
    }
    double[][] b = new double[n][n];
    if (sigma == 0) {
      for (int i = 0; i < n; i++) {
        b[i][i] = 1;
      }
    } else {
      int rad = (int) Math.ceil(3 * sigma);
      for (int i = 0; i < n; i++) {
        double z = 0;
        for (int k = -rad; k <= rad; k++) {
          z += Math.exp(-k * k / (2 * sigma * sigma));
        }
        for (int k = -rad; k <= rad; k++) {
          b[i][Math.min(n - 1, Math.max(0, i + k))] += Math.exp(-k * k / (2 * sigma * sigma)) / z;
        }
      }
    }
    float[][] m = new float[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double v = 0;
        for (int k = 0; k < n; k++) {
          v += b[i][k] * s[k][j];
        }
        m[i][j] = (float) v;
      }
    }
    return Nd4j.createFromArray(m).castTo(DataType.FLOAT);
  }

  @Override
  public String name() {
    return "averaged(" + inner.name() + ")";
  }

  @Override
  public boolean independentPerImage() {
    return inner.independentPerImage();
  }
}
