package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.GraphRunner;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.LayerAdapter;
import org.draft4j.spi.Denoiser;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a {@link UNet2DConditionModel} with attached {@link LayerAdapter}s as a {@link Denoiser}.
 * The graph is built once per adapter set and resolution, with the output contracted with a
 * cotangent placeholder so SameDiff's differentiation of {@code Σ out·u} gives the VJP; draft4j's
 * engine then plans both the forward and the VJP graph once per input shape (per-block
 * checkpointing in the VJP when it would not fit the context's activation budget). The input
 * sample is a graph variable (SameDiff drops gradients of placeholders that reach an op before any
 * variable).
 *
 * <p>Owns its compiled graphs: {@link #close()} frees them (the context's arenas stay with the
 * context).
 */
public final class UNetDenoiser implements Denoiser, AutoCloseable {
  private static final String SAMPLE = "sample";
  private static final String TIMESTEP = "timestep";
  private static final String CONTEXT = "encoder_hidden_states";
  private static final String COTANGENT = "cotangent";
  private static final String OUT = "out";
  private static final String TARGET = "target";
  private static final String WEIGHT = "sample_weight";
  private static final String SQUARED_ERROR = "squared_error";

  private final UNet2DConditionModel unet;
  private final int height;
  private final int width;
  private final int contextLen;
  private final ExecutionContext context;
  private final List<LayerAdapter> adapters = new ArrayList<>();
  private boolean adaptersEnabled = true;
  private boolean baseTrainable;
  private Built built;
  /** The regression graph (pretraining), built on first use; a graph of its own with its own loss. */
  private GraphRunner regression;

  private record Built(SameDiff sd, GraphBuilder builder, GraphRunner forward, GraphRunner[] vjp,
      List<String> adaptedLayers, List<String> feedNames) {}

  /**
   * A denoiser whose graphs run in {@code context} (an application's own, or
   * {@link ExecutionContext#shared()} named explicitly).
   *
   * @param height sample height (latent or pixel rows)
   * @param width sample width
   * @param contextLen text sequence length (77 for CLIP)
   */
  public UNetDenoiser(UNet2DConditionModel unet, int height, int width, int contextLen, ExecutionContext context) {
    int f = 1 << (unet.config().levels() - 1);
    checkArgument(height > 0 && height % f == 0 && width > 0 && width % f == 0,
        "sample size %sx%s must be positive multiples of %s for %s resolution levels", height, width, f,
        unet.config().levels());
    checkArgument(contextLen > 0, "contextLen = %s must be positive", contextLen);
    checkArgument(context != null, "execution context must not be null");
    this.unet = unet;
    this.height = height;
    this.width = width;
    this.contextLen = contextLen;
    this.context = context;
  }

  public UNet2DConditionModel unet() {
    return unet;
  }

  /** The context the graphs run in. */
  public ExecutionContext context() {
    return context;
  }

  /** Attaches an adapter; the graph is rebuilt on the next call. */
  public synchronized void attach(LayerAdapter adapter) {
    checkArgument(!adapters.contains(adapter), "adapter already attached");
    adapters.add(adapter);
    invalidate();
  }

  /** Detaches an adapter. */
  public synchronized void detach(LayerAdapter adapter) {
    checkArgument(adapters.remove(adapter), "adapter is not attached");
    invalidate();
  }

  /** The attached adapters, in order. */
  public synchronized List<LayerAdapter> adapters() {
    return List.copyOf(adapters);
  }

  /** Module names that the attached adapters modify (builds the graph). */
  public synchronized List<String> adaptedLayers() {
    return built().adaptedLayers();
  }

  @Override
  public synchronized boolean setAdaptersEnabled(boolean enabled) {
    boolean prev = adaptersEnabled;
    adaptersEnabled = enabled;
    return prev;
  }

  /**
   * Makes the UNet's own weights trainable (pretraining from scratch); off by default, where only
   * adapters train and base weights are graph constants.
   */
  public synchronized void setBaseTrainable(boolean trainable) {
    if (trainable != baseTrainable) {
      baseTrainable = trainable;
      invalidate();
    }
  }

  /** The forward graph, for diagnostics (op counts); do not modify it. */
  public synchronized SameDiff graph() {
    return built().sd();
  }

  /** The forward runner, for diagnostics (plan statistics, profiles). */
  public synchronized GraphRunner forwardRunner() {
    return built().forward();
  }

  /** The VJP runner (compiled on first use), for diagnostics. */
  public synchronized GraphRunner vjpRunner() {
    return vjp(built());
  }

  private void invalidate() {
    if (regression != null) {
      regression.close();
      regression = null;
    }
    if (built != null) {
      built.forward().close();
      if (built.vjp()[0] != null) {
        built.vjp()[0].close();
      }
      built = null;
    }
  }

  /** A fresh graph with the UNet's forward pass on the sample, timestep and context inputs. */
  private record Forward(SameDiff sd, GraphBuilder builder, SDVariable out, List<String> feeds) {}

  private Forward forward() {
    SameDiff sd = org.draft4j.engine.Graphs.create();
    GraphBuilder g = new GraphBuilder(sd, unet.parameters(), adapters, baseTrainable, context.fusedOps());
    UNet2DConditionConfig c = unet.config();
    SDVariable x = sd.var(SAMPLE, Nd4j.zeros(DataType.FLOAT, 1, c.inChannels(), height, width));
    SDVariable t = sd.placeHolder(TIMESTEP, DataType.FLOAT, -1);
    SDVariable ctx = sd.placeHolder(CONTEXT, DataType.FLOAT, -1, contextLen, c.crossAttentionDim());
    SDVariable out = unet.forward(g, x, t, ctx, height, width, contextLen);
    List<String> feeds = new ArrayList<>();
    for (LayerAdapter a : adapters) {
      feeds.addAll(a.feeds(true).keySet());
    }
    return new Forward(sd, g, out, List.copyOf(feeds));
  }

  private Built built() {
    if (built == null) {
      Forward f = forward();
      SameDiff sd = f.sd();
      SDVariable out = f.out().rename(OUT);
      UNet2DConditionConfig c = unet.config();
      SDVariable u = sd.placeHolder(COTANGENT, DataType.FLOAT, -1, c.outChannels(), height, width);
      SDVariable loss = out.mul(u).sum().rename("vjp_loss");
      sd.setLossVariables(loss);
      GraphRunner.Builder fb = GraphRunner.builder(sd).label("unet forward").context(context).output(OUT);
      inputs(fb, f.feeds());
      built = new Built(sd, f.builder(), fb.build(), new GraphRunner[1], List.copyOf(f.builder().adaptedLayers()),
          f.feeds());
    }
    return built;
  }

  private static void inputs(GraphRunner.Builder b, List<String> feeds) {
    b.input(SAMPLE, true).input(TIMESTEP, true).input(CONTEXT, true);
    for (String f : feeds) {
      b.input(f, false);
    }
  }

  private GraphRunner vjp(Built b) {
    if (b.vjp()[0] == null) {
      GraphRunner.Builder vb = GraphRunner.builder(b.sd()).label("unet vjp").context(context)
          .segments(b.builder().segments()).gradient(SAMPLE);
      inputs(vb, b.feedNames());
      vb.input(COTANGENT, true);
      for (String k : trainableParameters().keySet()) {
        vb.gradient(k);
      }
      b.vjp()[0] = vb.build();
    }
    return b.vjp()[0];
  }

  private Map<String, INDArray> feeds(INDArray sample, INDArray timesteps, INDArray context) {
    UNet2DConditionConfig c = unet.config();
    long b = sample.size(0);
    checkArgument(Arrays.equals(sample.shape(), new long[] {b, c.inChannels(), height, width}),
        "sample shape %s, expected [B, %s, %s, %s]", Arrays.toString(sample.shape()), c.inChannels(), height, width);
    checkArgument(timesteps.length() == b, "timesteps has %s entries for a batch of %s", timesteps.length(), b);
    checkArgument(Arrays.equals(context.shape(), new long[] {b, contextLen, c.crossAttentionDim()}),
        "context shape %s, expected [%s, %s, %s]", Arrays.toString(context.shape()), b, contextLen,
        c.crossAttentionDim());
    Map<String, INDArray> ph = new HashMap<>();
    ph.put(SAMPLE, sample.castTo(DataType.FLOAT));
    ph.put(TIMESTEP, timesteps.castTo(DataType.FLOAT).reshape(b));
    ph.put(CONTEXT, context.castTo(DataType.FLOAT));
    for (LayerAdapter a : adapters) {
      ph.putAll(a.feeds(adaptersEnabled));
    }
    return ph;
  }

  /**
   * One sample's squared error and the gradient of a weighted sum of them, from one forward and one
   * backward pass (pretraining; {@link #predict} then {@link #vjp} would run the forward twice):
   * {@code e_b = Σ_{c,h,w} (out_b − target_b)²} and {@code dL/dθ} for {@code L = Σ_b w_b·e_b}
   * (for a mean-squared-error loss, {@code w_b = 1/numel}). Additive over samples, so the worker
   * shards of a batch add up to the batch's gradient.
   *
   * @param target the regression target, shaped like the output ({@code [B, C, H, W]})
   * @param weights {@code [B]} per-sample loss weights
   */
  public synchronized Regression regression(INDArray sample, INDArray timesteps, INDArray textContext, INDArray target,
      INDArray weights) {
    checkArgument(Arrays.equals(sample.shape(), target.shape()), "target shape %s differs from sample shape %s",
        Arrays.toString(target.shape()), Arrays.toString(sample.shape()));
    checkArgument(weights.length() == sample.size(0), "%s weights for a batch of %s", weights.length(),
        sample.size(0));
    if (regression == null) {
      Forward f = forward();
      SameDiff sd = f.sd();
      SDVariable out = f.out();
      UNet2DConditionConfig c = unet.config();
      SDVariable y = sd.placeHolder(TARGET, DataType.FLOAT, -1, c.outChannels(), height, width);
      SDVariable w = sd.placeHolder(WEIGHT, DataType.FLOAT, -1);
      SDVariable d = out.sub(y);
      SDVariable e = d.mul(d).sum(1, 2, 3).rename(SQUARED_ERROR);
      sd.setLossVariables(e.mul(w).sum().rename("regression_loss"));
      GraphRunner.Builder rb = GraphRunner.builder(sd).label("unet regression").context(context)
          .segments(f.builder().segments()).output(SQUARED_ERROR);
      inputs(rb, f.feeds());
      rb.input(TARGET, true).input(WEIGHT, true);
      for (String k : trainableParameters().keySet()) {
        rb.gradient(k);
      }
      regression = rb.build();
    }
    Map<String, INDArray> ph = feeds(sample, timesteps, textContext);
    ph.put(TARGET, target.castTo(DataType.FLOAT));
    ph.put(WEIGHT, weights.castTo(DataType.FLOAT).reshape(sample.size(0)));
    GraphRunner.Result r = regression.run(ph);
    Map<String, INDArray> pg = new LinkedHashMap<>();
    for (String k : trainableParameters().keySet()) {
      pg.put(k, r.gradients().get(k));
    }
    return new Regression(r.outputs().get(SQUARED_ERROR), pg);
  }

  /** Per-sample squared errors {@code [B]} and the weighted loss's parameter gradients. */
  public record Regression(INDArray squaredErrors, Map<String, INDArray> paramGrads) {}

  @Override
  public synchronized INDArray predict(INDArray sample, INDArray timesteps, INDArray context) {
    Built b = built();
    return b.forward().run(feeds(sample, timesteps, context)).outputs().get(OUT);
  }

  @Override
  public synchronized Vjp vjp(INDArray sample, INDArray timesteps, INDArray context, INDArray cotangent) {
    checkArgument(Arrays.equals(sample.shape(), cotangent.shape()), "cotangent shape %s differs from sample shape %s",
        Arrays.toString(cotangent.shape()), Arrays.toString(sample.shape()));
    Built b = built();
    Map<String, INDArray> ph = feeds(sample, timesteps, context);
    ph.put(COTANGENT, cotangent.castTo(DataType.FLOAT));
    GraphRunner.Result r = vjp(b).run(ph);
    INDArray gx = r.gradients().get(SAMPLE);
    checkState(gx != null, "no gradient for the sample");
    Map<String, INDArray> pg = new LinkedHashMap<>();
    for (String k : trainableParameters().keySet()) {
      pg.put(k, r.gradients().get(k));
    }
    return new Vjp(gx, pg);
  }

  @Override
  public synchronized Map<String, INDArray> trainableParameters() {
    Map<String, INDArray> m = new LinkedHashMap<>();
    if (baseTrainable) {
      m.putAll(unet.parameters().asMap());
    }
    for (LayerAdapter a : adapters) {
      m.putAll(a.trainableParameters());
    }
    return m;
  }

  /** Frees the compiled graphs. */
  @Override
  public synchronized void close() {
    invalidate();
  }
}
