package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.GraphRunner;
import org.draft4j.engine.Graphs;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Evaluates {@code r(decode(x₀), prompts)} and its gradient with respect to the sampler output x₀.
 * One graph per input shape is built and compiled once, with and without gradient; x₀ enters as a
 * graph variable so SameDiff differentiates every op that touches it. Owns its compiled graphs:
 * {@link #close()} frees them.
 */
public final class RewardEvaluator implements AutoCloseable {
  private static final String X0 = "x0";
  private static final String TOTAL = "reward_total";
  private static final String IMAGES = "images";
  private final Reward reward;
  private final ImageDecoder decoder;
  private final ExecutionContext context;
  private final Map<String, Built> graphs = new HashMap<>();

  private record Built(SameDiff sd, RewardGraph graph, String out, Map<String, String> termOutputs,
      GraphRunner[] runners) {}

  /** Rewards, logged terms, the decoded images and (when asked) {@code d Σ_b r_b / d x₀}. */
  public record Result(INDArray rewards, Map<String, INDArray> terms, INDArray images, INDArray gradient) {
    /** Mean reward of the batch. */
    public double mean() {
      return rewards.meanNumber().doubleValue();
    }
  }

  /** An evaluator whose graphs run in {@code context}. */
  public RewardEvaluator(Reward reward, ImageDecoder decoder, ExecutionContext context) {
    checkArgument(reward != null, "reward must not be null");
    checkArgument(decoder != null, "decoder must not be null");
    checkArgument(context != null, "execution context must not be null");
    this.reward = reward;
    this.decoder = decoder;
    this.context = context;
  }

  public Reward reward() {
    return reward;
  }

  private Built graph(long[] shape) {
    String key = java.util.Arrays.toString(shape);
    return graphs.computeIfAbsent(key, k -> {
      SameDiff sd = Graphs.create();
      SDVariable x = sd.var(X0, Nd4j.zeros(DataType.FLOAT, shape));
      RewardGraph g = new RewardGraph(sd, shape[0], decoder.imageSize(shape[2]), decoder.imageSize(shape[3]),
          context.fusedOps());
      SDVariable decoded = decoder.decode(g, x);
      // an identity decoder returns x0 itself: name the images separately, never rename the input
      SDVariable images = decoded == x ? x.mul(1.0) : decoded;
      images = images.rename(IMAGES);
      g.segment("reward " + reward.name());
      SDVariable r = reward.score(g, images);
      checkState(r != null, "reward %s returned no output", reward.name());
      // -1, not the batch: with worker threads each shard runs the graph on part of the batch
      SDVariable rr = r.reshape(-1).rename("reward_per_image");
      if (g.terms().isEmpty()) {
        g.logTerm(reward.name(), rr);
      }
      Map<String, String> termOut = new LinkedHashMap<>();
      for (Map.Entry<String, SDVariable> e : g.terms().entrySet()) {
        termOut.put(e.getKey(), e.getValue().name());
      }
      sd.setLossVariables(rr.sum().rename(TOTAL));
      return new Built(sd, g, rr.name(), termOut, new GraphRunner[2]);
    });
  }

  private GraphRunner runner(Built b, boolean withGradient) {
    int i = withGradient ? 1 : 0;
    if (b.runners()[i] == null) {
      boolean split = reward.independentPerImage();
      GraphRunner.Builder rb = GraphRunner.builder(b.sd()).context(context)
          .label("reward " + reward.name() + (withGradient ? " with gradient" : "")).input(X0, split);
      for (String p : b.graph().promptFeeds().keySet()) {
        rb.input(p, split);
      }
      java.util.Set<String> outs = new java.util.LinkedHashSet<>(b.termOutputs().values());
      outs.add(b.out());
      outs.add(IMAGES);
      outs.forEach(rb::output);
      if (withGradient) {
        rb.gradient(X0).segments(b.graph().segments());
      }
      b.runners()[i] = rb.build();
    }
    return b.runners()[i];
  }

  /**
   * A fingerprint of the decode-and-score graph for samples of this shape: its ops, their
   * arguments and the values of its constants ({@link org.draft4j.engine.GraphFingerprint}). Two
   * rewards that compute the same thing the same way share it, whatever their classes are called.
   */
  public synchronized String fingerprint(long... sampleShape) {
    return org.draft4j.engine.GraphFingerprint.of(graph(sampleShape).sd());
  }

  /**
   * Whether the reward reads the prompts (registers a {@link RewardGraph#promptInput}) for samples
   * of this shape; a prompt-free reward (compressibility, an aesthetic head) does not.
   */
  public synchronized boolean readsPrompts(long... sampleShape) {
    return !graph(sampleShape).graph().promptFeeds().isEmpty();
  }

  /**
   * The engine's facts about the gradient plan for samples of this shape (whether it checkpoints,
   * its arena), or null before a gradient evaluation of that shape or in SameDiff mode.
   */
  public synchronized org.draft4j.engine.CompiledGraph.Stats gradientPlanStats(long... sampleShape) {
    Built b = graphs.get(java.util.Arrays.toString(sampleShape));
    if (b == null || b.runners()[1] == null || b.runners()[1].compiled() == null) {
      return null;
    }
    return b.runners()[1].compiled().stats();
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
    feeds.put(X0, x0.castTo(DataType.FLOAT));
    GraphRunner.Result res = runner(b, withGradient).run(feeds);
    Map<String, INDArray> terms = new LinkedHashMap<>();
    b.termOutputs().forEach((n, v) -> terms.put(n, res.outputs().get(v).reshape(x0.size(0))));
    INDArray grad = null;
    if (withGradient) {
      grad = res.gradients().get(X0);
      checkState(grad != null, "no gradient of reward %s with respect to the image", reward.name());
    }
    INDArray r = res.outputs().get(b.out()).reshape(x0.size(0));
    if (r.isNaN().any() || r.isInfinite().any()) {
      throw new ArithmeticException("reward " + reward.name() + " is NaN or Inf: " + r);
    }
    return new Result(r, terms, res.outputs().get(IMAGES), grad);
  }

  /** Frees the compiled graphs. */
  @Override
  public synchronized void close() {
    for (Built b : graphs.values()) {
      for (GraphRunner r : b.runners()) {
        if (r != null) {
          r.close();
        }
      }
    }
    graphs.clear();
  }
}
