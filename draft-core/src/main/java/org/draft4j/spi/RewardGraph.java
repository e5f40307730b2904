package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a {@link Reward} sees while its graph is built: the SameDiff graph, the batch and image
 * size, a way to feed per-call prompt data (token ids, text embeddings), and per-term logging.
 * Graphs are built once per batch shape and reused, so prompt data must enter via
 * {@link #promptInput}, never as constants.
 */
public final class RewardGraph {
  private final SameDiff sd;
  private final long batch;
  private final long height;
  private final long width;
  private final Map<String, Function<List<String>, INDArray>> promptFeeds = new LinkedHashMap<>();
  private final org.draft4j.engine.Segments segments;
  private final Map<String, SDVariable> terms = new LinkedHashMap<>();
  private final boolean fused;

  /** A graph under construction for SameDiff's own executor (unfused ops). */
  public RewardGraph(SameDiff sd, long batch, long height, long width) {
    this(sd, batch, height, width, false);
  }

  /**
   * @param fused whether the graph runs on draft4j's engine, so model pieces may use its fused ops
   *     (see {@link #builder})
   */
  public RewardGraph(SameDiff sd, long batch, long height, long width, boolean fused) {
    this.sd = sd;
    this.batch = batch;
    this.height = height;
    this.width = width;
    this.fused = fused;
    this.segments = new org.draft4j.engine.Segments(sd);
  }

  /** Whether fused ops may be used (the graph runs on the engine). */
  public boolean fusedOps() {
    return fused;
  }

  /**
   * A builder for model pieces over weights {@code params} (constants), fused when the graph runs
   * on the engine.
   */
  public GraphBuilder builder(Parameters params) {
    return new GraphBuilder(sd, params, List.of(), false, fused, segments);
  }

  /**
   * Starts a checkpointing segment at the next op (model pieces from {@link #builder} mark their
   * blocks themselves). A gradient over a graph whose activations exceed the engine's budget keeps
   * only the tensors crossing segment boundaries and recomputes each segment in the backward pass.
   */
  public void segment(String label) {
    segments.begin(label);
  }

  /** The checkpointing segments recorded so far. */
  public org.draft4j.engine.Segments segments() {
    return segments;
  }

  public SameDiff sd() {
    return sd;
  }

  public long batch() {
    return batch;
  }

  public long height() {
    return height;
  }

  public long width() {
    return width;
  }

  /**
   * A placeholder filled on every evaluation by {@code encoder(prompts)}; reusing a name returns
   * the same placeholder.
   *
   * @param shape the full shape including the batch dimension
   */
  public SDVariable promptInput(String name, DataType type, Function<List<String>, INDArray> encoder, long... shape) {
    if (promptFeeds.containsKey(name)) {
      return sd.getVariable(name);
    }
    promptFeeds.put(name, encoder);
    return sd.placeHolder(name, type, shape);
  }

  /** Records a per-image term {@code [B]} to be reported under {@code name}. */
  public void logTerm(String name, SDVariable perImage) {
    checkArgument(!terms.containsKey(name), "reward term \"%s\" logged twice", name);
    terms.put(name, perImage);
  }

  /** The registered prompt feeds. */
  public Map<String, Function<List<String>, INDArray>> promptFeeds() {
    return promptFeeds;
  }

  /** The logged terms. */
  public Map<String, SDVariable> terms() {
    return terms;
  }
}
