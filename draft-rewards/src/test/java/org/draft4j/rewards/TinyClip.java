package org.draft4j.rewards;

import java.util.List;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.text.BpeTrainer;

/** A tiny random CLIP (image 8×8, patch 4, hidden 8, projection 6) for tests. */
final class TinyClip {
  static final ClipVisionConfig VISION = new ClipVisionConfig(8, 16, 2, 2, 8, 4, 6, "quick_gelu", 1e-5);

  private TinyClip() {}

  static final BpeTrainer.Vocabulary VOCAB = BpeTrainer.learn(List.of("a red star", "a blue square"), 8);

  static ClipModel create(long seed) {
    BpeTrainer.Vocabulary v = VOCAB;
    ClipTextConfig tc = new ClipTextConfig(v.vocab().size(), 8, 16, 1, 2, 8, "quick_gelu", 1e-5);
    ClipModel clip = ClipModel.random(tc, VISION, 6, v.tokenizer(8), seed);
    // larger than CLIP's 0.02 init so outputs vary visibly with the input (in place: the model holds these arrays)
    clip.parameters().asMap().forEach((k, a) -> {
      if (!k.contains("norm") && !k.equals("logit_scale")) {
        a.muli(10);
      }
    });
    return clip;
  }
}
