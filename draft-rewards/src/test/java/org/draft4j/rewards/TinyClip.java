package org.draft4j.rewards;

import java.util.List;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.draft4j.text.BpeTrainer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/** A tiny random CLIP (image 8×8, patch 4, hidden 8, projection 6) for tests. */
final class TinyClip {
  static final ClipVisionConfig VISION = new ClipVisionConfig(8, 16, 2, 2, 8, 4, 6, "quick_gelu", 1e-5);

  private TinyClip() {}

  static final BpeTrainer.Vocabulary VOCAB = BpeTrainer.learn(List.of("a red star", "a blue square"), 8);

  static ClipModel create(long seed) {
    BpeTrainer.Vocabulary v = VOCAB;
    ClipTextConfig tc = new ClipTextConfig(v.vocab().size(), 8, 16, 1, 2, 8, "quick_gelu", 1e-5);
    Parameters p = Parameters.random(seed);
    // materialize every weight by building both towers once over an initializing store
    SameDiff sd = SameDiff.create();
    GraphBuilder g = new GraphBuilder(sd, p, List.of());
    new ClipVisionModel(VISION, p).imageEmbeds(g, sd.placeHolder("x", DataType.FLOAT, -1, 3, 8, 8));
    org.draft4j.models.ClipTextModel.forward(tc, g, sd.placeHolder("i", DataType.INT, -1, 8), 8);
    g.weight("text_projection.weight", new long[] {6, 8}, Parameters.Init.NORMAL_002, 0);
    g.weight("logit_scale", new long[] {}, Parameters.Init.ONES, 0);
    // larger than CLIP's 0.02 init so outputs vary visibly with the input
    p.asMap().forEach((k, a) -> {
      if (!k.contains("norm") && !k.equals("logit_scale")) {
        a.muli(10);
      }
    });
    return new ClipModel(tc, VISION, 6, Parameters.of(p.asMap(), "tiny-clip"), v.tokenizer(8));
  }
}
