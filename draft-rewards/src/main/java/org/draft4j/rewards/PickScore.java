package org.draft4j.rewards;

import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * PickScore-style prompt alignment (PickScore_v1, HPSv2 share the form):
 * {@code r = exp(logit_scale) · cos(f_img(image), f_txt(prompt))}.
 */
public final class PickScore implements Reward {
  private final ClipModel clip;
  private final ClipPreprocess pre;
  private final String name;

  PickScore(ClipModel clip, ClipPreprocess pre, String name) {
    this.clip = clip;
    this.pre = pre;
    this.name = name;
  }

  @Override
  public SDVariable score(RewardGraph g, SDVariable images) {
    SDVariable img = ClipModel.normalize(clip.imageEmbeds(g, images, pre));
    SDVariable txt = ClipModel.normalize(clip.promptEmbeds(g));
    return img.mul(txt).sum(1).mul(clip.logitScale());
  }

  @Override
  public String name() {
    return name;
  }
}
