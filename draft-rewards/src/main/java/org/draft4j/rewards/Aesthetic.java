package org.draft4j.rewards;

import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDVariable;

/** Aesthetic reward: {@code head(normalize(f_img(image)))}, as trl/AlignProp's aesthetic scorer. */
public final class Aesthetic implements Reward {
  private final ClipModel clip;
  private final AestheticHead head;
  private final ClipPreprocess pre;

  Aesthetic(ClipModel clip, AestheticHead head, ClipPreprocess pre) {
    com.google.common.base.Preconditions.checkArgument(head.inputDim() == clip.projectionDim(),
        "aesthetic head %s takes %s-dimensional embeddings, but the CLIP %s projects to %s (projection_dim)",
        head.parameters().source(), head.inputDim(), clip.parameters().source(), clip.projectionDim());
    this.clip = clip;
    this.head = head;
    this.pre = pre;
  }

  @Override
  public SDVariable score(RewardGraph g, SDVariable images) {
    SDVariable e = ClipModel.normalize(clip.imageEmbeds(g, images, pre));
    return head.forward(g.builder(head.parameters()), e);
  }

  @Override
  public String name() {
    return "aesthetic";
  }
}
