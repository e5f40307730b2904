package org.draft4j.examples.bench;

import org.draft4j.models.UNet2DConditionConfig;

/**
 * Multiply-accumulate count of one UNet2DConditionModel forward pass for one sample, from the config,
 * following diffusers' block structure: convolutions (conv_in, ResNet convs and 1×1 shortcuts, down-
 * and upsamplers, conv_out) and transformer blocks (proj_in/out, self-attention q/k/v/out and scores,
 * cross-attention, GEGLU feed-forward). Norms, activations and the time embedding are ignored (under
 * 1%). FLOPs = 2 × MACs.
 */
public final class UNetFlops {
  private UNetFlops() {}

  /** MACs of one forward pass for a context of {@code contextTokens} tokens, attention products included. */
  public static double macs(UNet2DConditionConfig c, int contextTokens) {
    return macs(c, contextTokens, true);
  }

  /**
   * MACs of one forward pass; without {@code attentionProducts} the QKᵀ and PV products are left out,
   * as module-level profilers (BK-SDM's 339 G for SD 1.x at 64×64) count.
   */
  public static double macs(UNet2DConditionConfig c, int contextTokens, boolean attentionProducts) {
    double scores = attentionProducts ? 1 : 0;
    int[] ch = c.blockOutChannels();
    int n = ch.length;
    int lpb = c.layersPerBlock();
    double s = c.sampleSize();
    double m = conv(c.inChannels(), ch[0], 3, s * s);
    int prev = ch[0];
    for (int i = 0; i < n; i++) {
      double hw = Math.pow(s / (1 << i), 2);
      boolean attn = c.downBlockTypes().get(i).startsWith("CrossAttn");
      for (int j = 0; j < lpb; j++) {
        m += resnet(j == 0 ? prev : ch[i], ch[i], hw);
        m += attn ? transformer(ch[i], hw, contextTokens, c.crossAttentionDim(), scores) : 0;
      }
      if (i < n - 1) {
        m += conv(ch[i], ch[i], 3, hw / 4);
      }
      prev = ch[i];
    }
    double hwMid = Math.pow(s / (1 << (n - 1)), 2);
    m += 2 * resnet(ch[n - 1], ch[n - 1], hwMid) + transformer(ch[n - 1], hwMid, contextTokens, c.crossAttentionDim(),
        scores);
    int prevOut = ch[n - 1];
    for (int i = 0; i < n; i++) {
      int out = ch[n - 1 - i];
      int in = ch[Math.max(n - 2 - i, 0)];
      double hw = Math.pow(s / (1 << (n - 1 - i)), 2);
      boolean attn = c.upBlockTypes().get(i).startsWith("CrossAttn");
      for (int j = 0; j <= lpb; j++) {
        int skip = j == lpb ? in : out;
        int resIn = j == 0 ? prevOut : out;
        m += resnet(resIn + skip, out, hw);
        m += attn ? transformer(out, hw, contextTokens, c.crossAttentionDim(), scores) : 0;
      }
      if (i < n - 1) {
        m += conv(out, out, 3, hw * 4);
      }
      prevOut = out;
    }
    return m + conv(ch[0], c.outChannels(), 3, s * s);
  }

  static double conv(double in, double out, int k, double hw) {
    return in * out * k * k * hw;
  }

  static double resnet(double in, double out, double hw) {
    return conv(in, out, 3, hw) + conv(out, out, 3, hw) + (in != out ? conv(in, out, 1, hw) : 0);
  }

  static double transformer(double c, double n, double l, double d, double scores) {
    double proj = 2 * c * c * n;
    double self = 4 * c * c * n + scores * 2 * n * n * c;
    double cross = 2 * c * c * n + 2 * c * d * l + scores * 2 * n * l * c;
    double ff = 12 * c * c * n;
    return proj + self + cross + ff;
  }
}
