package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Evaluates {@code r(decode(x₀), prompts)} and its gradient with respect to the sampler output x₀.
 * One graph per input shape is built and reused; x₀ enters as a graph variable so SameDiff
 * differentiates every op that touches it.
 */
public final class RewardEvaluator {
  private static final String X0 = "x0";
  private static final String TOTAL = "reward_total";
  private static final String IMAGES = "images";
  private final Reward reward;
  private final ImageDecoder decoder;
  private final Map<String, Built> graphs = new HashMap<>();

  private record Built(SameDiff sd, RewardGraph graph, String out, Map<String, String> termOutputs) {}

  /** Rewards, logged terms, the decoded images and (when asked) {@code d Σ_b r_b / d x₀}. */
  public record Result(INDArray rewards, Map<String, INDArray> terms, INDArray images, INDArray gradient) {
    /** Mean reward of the batch. */
    public double mean() {
      return rewards.meanNumber().doubleValue();
    }
  }

  public RewardEvaluator(Reward reward, ImageDecoder decoder) {
    this.reward = reward;
    this.decoder = decoder;
  }

  public Reward reward() {
    return reward;
  }

  private Built graph(long[] shape) {
    String key = java.util.Arrays.toString(shape);
    return graphs.computeIfAbsent(key, k -> {
      SameDiff sd = SameDiff.create();
      SDVariable x = sd.var(X0, Nd4j.zeros(DataType.FLOAT, shape));
      SDVariable images = decoder.decode(sd, x).rename(IMAGES);
      RewardGraph g = new RewardGraph(sd, shape[0], decoder.imageSize(shape[2]), decoder.imageSize(shape[3]));
      SDVariable r = reward.score(g, images);
      checkState(r != null, "reward %s returned no output", reward.name());
      SDVariable rr = r.reshape(shape[0]).rename("reward_per_image");
      if (g.terms().isEmpty()) {
        g.logTerm(reward.name(), rr);
      }
      Map<String, String> termOut = new LinkedHashMap<>();
      for (Map.Entry<String, SDVariable> e : g.terms().entrySet()) {
        termOut.put(e.getKey(), e.getValue().name());
      }
      sd.setLossVariables(rr.sum().rename(TOTAL));
      return new Built(sd, g, rr.name(), termOut);
    });
  }

  /**
   * Builds (and caches) the graph for samples of this shape, so reward errors such as an
   * unsupported image size surface before any sampling.
   */
  public synchronized void prepare(long... sampleShape) {
    graph(sampleShape);
  }

  /**
   * Scores a batch.
   *
   * @param x0 sampler output {@code [B, C, H, W]}
   * @param prompts one prompt per sample
   * @param withGradient whether to compute {@code d Σ r / d x₀}
   */
  public synchronized Result evaluate(INDArray x0, List<String> prompts, boolean withGradient) {
    checkArgument(prompts.size() == x0.size(0), "%s prompts for a batch of %s", prompts.size(), x0.size(0));
    Built b = graph(x0.shape());
    Map<String, INDArray> feeds = new HashMap<>();
    b.graph().promptFeeds().forEach((name, enc) -> feeds.put(name, enc.apply(prompts)));
    b.sd().getVariable(X0).setArray(x0.castTo(DataType.FLOAT).dup());
    List<String> outs = new ArrayList<>(b.termOutputs().values());
    outs.add(b.out());
    outs.add(IMAGES);
    Map<String, INDArray> res = b.sd().output(feeds, outs.toArray(new String[0]));
    Map<String, INDArray> terms = new LinkedHashMap<>();
    b.termOutputs().forEach((n, v) -> terms.put(n, res.get(v).reshape(x0.size(0))));
    INDArray grad = null;
    if (withGradient) {
      grad = b.sd().calculateGradients(feeds, X0).get(X0);
      checkState(grad != null, "no gradient of reward %s with respect to the image", reward.name());
    }
    INDArray r = res.get(b.out()).reshape(x0.size(0));
    if (r.isNaN().any() || r.isInfinite().any()) {
      throw new ArithmeticException("reward " + reward.name() + " is NaN or Inf: " + r);
    }
    org.draft4j.nn.NativeMemory.releaseSessions(b.sd());
    org.draft4j.nn.NativeMemory.checkpoint();
    return new Result(r, terms, res.get(IMAGES), grad);
  }
}
