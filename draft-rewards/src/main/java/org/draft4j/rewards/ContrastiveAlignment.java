package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Prompt alignment against alternatives: the CLIP's log-probability of the prompt among itself and
 * its alternatives {@code a_1..a_n} (captions that differ from it in one attribute, say),
 * <pre>
 *   r = log softmax_j(s_j)_0,   s_0 = τ·cos(f_img, f_txt(prompt)),   s_j = τ·cos(f_img, f_txt(a_j)),
 * </pre>
 * with {@code τ = exp(logit_scale)}; {@code r ≤ 0}, and 0 when the image matches its prompt
 * infinitely better than every alternative. Unlike {@link PickScore}, which also rises with
 * features every caption shares, only what tells the prompt from its alternatives raises it.
 * Computed as {@code s_0 − τ − log Σ_j w_j·exp(s_j − τ)} ({@code s_j − τ ≤ 0}, so nothing
 * overflows), with weights {@code w_j} 1 for the prompt and its alternatives and 0 for padding up to
 * {@code maxAlternatives}. Text features are computed once per distinct prompt and kept.
 */
public final class ContrastiveAlignment implements Reward {
  private final ClipModel clip;
  private final ClipPreprocess pre;
  private final Function<String, List<String>> alternatives;
  private final int maxAlternatives;
  private final Map<String, INDArray> features = new HashMap<>();

  ContrastiveAlignment(ClipModel clip, ClipPreprocess pre, Function<String, List<String>> alternatives,
      int maxAlternatives) {
    checkArgument(alternatives != null, "alternatives must not be null");
    checkArgument(maxAlternatives >= 1, "maxAlternatives: %s; needs at least 1", maxAlternatives);
    this.clip = clip;
    this.pre = pre;
    this.alternatives = alternatives;
    this.maxAlternatives = maxAlternatives;
  }

  @Override
  public SDVariable score(RewardGraph g, SDVariable images) {
    long b = g.batch();
    int n = maxAlternatives + 1;
    int p = clip.projectionDim();
    SDVariable txt = g.promptInput("contrast_text", DataType.FLOAT, this::textBlock, b, n, p);
    SDVariable w = g.promptInput("contrast_weight", DataType.FLOAT, this::weightBlock, b, n);
    SDVariable img = ClipModel.normalize(clip.imageEmbeds(g, images, pre));
    double tau = clip.logitScale();
    // s_j - tau = tau*(cos_j - 1) <= 0: [B,1,P] x [B,N,P]^T -> [B,1,N]
    SDVariable shifted = g.sd().mmul(img.reshape(-1, 1, p), txt, false, true, false).reshape(-1, n).sub(1.0).mul(tau);
    INDArray first = Nd4j.zeros(DataType.FLOAT, 1, n);
    first.putScalar(0, 0, 1f);
    SDVariable pos = shifted.mul(g.sd().constant(first)).sum(1);
    SDVariable logZ = g.sd().math.log(g.sd().math.exp(shifted).mul(w).sum(1));
    return pos.sub(logZ);
  }

  /** {@code [B, 1 + max, P]}: each prompt's features, then its alternatives', zero-padded. */
  private INDArray textBlock(List<String> prompts) {
    int n = maxAlternatives + 1;
    INDArray out = Nd4j.zeros(DataType.FLOAT, prompts.size(), n, clip.projectionDim());
    for (int i = 0; i < prompts.size(); i++) {
      INDArray f = featuresOf(prompts.get(i));
      out.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, f.size(0)), NDArrayIndex.all()).assign(f);
    }
    return out;
  }

  /** {@code [B, 1 + max]}: 1 for each prompt and its alternatives, 0 for padding. */
  private INDArray weightBlock(List<String> prompts) {
    int n = maxAlternatives + 1;
    INDArray out = Nd4j.zeros(DataType.FLOAT, prompts.size(), n);
    for (int i = 0; i < prompts.size(); i++) {
      long k = featuresOf(prompts.get(i)).size(0);
      out.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, k)).assign(1);
    }
    return out;
  }

  private synchronized INDArray featuresOf(String prompt) {
    INDArray f = features.get(prompt);
    if (f == null) {
      List<String> alts = alternatives.apply(prompt);
      checkArgument(alts != null && !alts.isEmpty() && alts.size() <= maxAlternatives,
          "alternatives of prompt \"%s\": %s; give 1 to maxAlternatives = %s", prompt,
          alts == null ? "null" : alts.size() + " captions", maxAlternatives);
      checkArgument(!alts.contains(prompt), "alternatives of prompt \"%s\" contain the prompt itself", prompt);
      List<String> all = new ArrayList<>(alts.size() + 1);
      all.add(prompt);
      all.addAll(alts);
      f = clip.textFeatures(all).castTo(DataType.FLOAT);
      features.put(prompt, f);
    }
    return f;
  }

  @Override
  public String name() {
    return "contrastive-alignment";
  }
}
