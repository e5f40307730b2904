package org.draft4j.rewards;

import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * CLIP prompt alignment {@code r = s · cos(f_img(image), f_txt(prompt))}: PickScore_v1 scales by
 * {@code s = exp(logit_scale)} (its reference code's {@code logit_scale.exp() * image_embs @ text_embs.T}),
 * HPSv2 by {@code s = 1} (hpsv2/img_score.py: {@code diagonal(image_features @ text_features.T)}
 * of the normalized features, without the logit scale).
 */
public final class PickScore implements Reward {
  private final ClipModel clip;
  private final ClipPreprocess pre;
  private final String name;
  private final boolean scaled;

  /** @param scaled whether the cosine is multiplied by {@code exp(logit_scale)} */
  PickScore(ClipModel clip, ClipPreprocess pre, String name, boolean scaled) {
    this.clip = clip;
    this.pre = pre;
    this.name = name;
    this.scaled = scaled;
  }

  @Override
  public SDVariable score(RewardGraph g, SDVariable images) {
    SDVariable img = ClipModel.normalize(clip.imageEmbeds(g, images, pre));
    SDVariable txt = ClipModel.normalize(clip.promptEmbeds(g));
    SDVariable cos = img.mul(txt).sum(1);
    return scaled ? cos.mul(clip.logitScale()) : cos;
  }

  @Override
  public String name() {
    return name;
  }
}
