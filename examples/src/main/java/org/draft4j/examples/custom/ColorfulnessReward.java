package org.draft4j.examples.custom;

import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * A worked example of a custom reward: Hasler and Süsstrunk's colourfulness (2003),
 * {@code M = σ_rgyb + 0.3·μ_rgyb} with {@code rg = R − G}, {@code yb = (R + G)/2 − B},
 * {@code σ_rgyb = √(σ_rg² + σ_yb²)}, {@code μ_rgyb = √(μ_rg² + μ_yb²)} over the pixels of each image.
 *
 * <p>Writing a reward takes one method. The trainer calls {@link #score} once per batch shape to
 * build a SameDiff graph and reuses it:
 * <ul>
 *   <li>{@code images} is {@code [B, 3, H, W]}, RGB, values in {@code [0, 1]}: the decoded samples,
 *       already a differentiable function of the sampler output;</li>
 *   <li>return {@code [B]}, one reward per image, higher is better;</li>
 *   <li>use only differentiable SameDiff ops on {@code images} (here: slicing by channel, means,
 *       squares, square roots); constants may be added with {@code g.sd().constant(...)};</li>
 *   <li>per-prompt data (token ids, embeddings) must enter through {@link RewardGraph#promptInput},
 *       never as constants, because the graph is reused across batches;</li>
 *   <li>override {@link #name} for logs: metrics report {@code reward/colorfulness}.</li>
 * </ul>
 * Compose it with the bundled rewards: {@code Rewards.compressibility().plus(0.5, new ColorfulnessReward())}.
 */
public final class ColorfulnessReward implements Reward {
  private static final double EPS = 1e-6;

  @Override
  public SDVariable score(RewardGraph g, SDVariable images) {
    long h = g.height();
    long w = g.width();
    SDVariable px = images.reshape(-1, 3, h * w);
    SDVariable r = channel(px, 0);
    SDVariable gr = channel(px, 1);
    SDVariable b = channel(px, 2);
    SDVariable rg = r.sub(gr);
    SDVariable yb = r.add(gr).mul(0.5).sub(b);
    SDVariable muRg = rg.mean(true, 1);
    SDVariable muYb = yb.mean(true, 1);
    SDVariable varRg = rg.sub(muRg).mul(rg.sub(muRg)).mean(1);
    SDVariable varYb = yb.sub(muYb).mul(yb.sub(muYb)).mean(1);
    SDVariable sigma = g.sd().math.sqrt(varRg.add(varYb).add(EPS));
    SDVariable mu = g.sd().math.sqrt(muRg.mul(muRg).add(muYb.mul(muYb)).reshape(-1).add(EPS));
    return sigma.add(mu.mul(0.3));
  }

  private static SDVariable channel(SDVariable px, int c) {
    return px.get(org.nd4j.autodiff.samediff.SDIndex.all(), org.nd4j.autodiff.samediff.SDIndex.point(c),
        org.nd4j.autodiff.samediff.SDIndex.all());
  }

  @Override
  public String name() {
    return "colorfulness";
  }
}
