package org.draft4j.models;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.LayerAdapter;
import org.draft4j.nn.NativeMemory;
import org.draft4j.spi.Denoiser;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a {@link UNet2DConditionModel} with attached {@link LayerAdapter}s as a {@link Denoiser}.
 * One SameDiff graph is compiled per adapter set and resolution and reused for every call; the
 * input sample is a graph variable (SameDiff drops gradients of placeholders that reach an op
 * before any variable), the output is contracted with a cotangent placeholder so one
 * {@code calculateGradients} call yields the VJP.
 */
public final class UNetDenoiser implements Denoiser {
  private static final String SAMPLE = "sample";
  private static final String TIMESTEP = "timestep";
  private static final String CONTEXT = "encoder_hidden_states";
  private static final String COTANGENT = "cotangent";
  private static final String OUT = "out";

  private final UNet2DConditionModel unet;
  private final int height;
  private final int width;
  private final int contextLen;
  private final List<LayerAdapter> adapters = new ArrayList<>();
  private boolean adaptersEnabled = true;
  private boolean baseTrainable;
  private SameDiff graph;
  private List<String> adaptedLayers = List.of();

  /**
   * @param height sample height (latent or pixel rows)
   * @param width sample width
   * @param contextLen text sequence length (77 for CLIP)
   */
  public UNetDenoiser(UNet2DConditionModel unet, int height, int width, int contextLen) {
    int f = 1 << (unet.config().levels() - 1);
    checkArgument(height > 0 && height % f == 0 && width > 0 && width % f == 0,
        "sample size %sx%s must be positive multiples of %s for %s resolution levels", height, width, f,
        unet.config().levels());
    checkArgument(contextLen > 0, "contextLen = %s must be positive", contextLen);
    this.unet = unet;
    this.height = height;
    this.width = width;
    this.contextLen = contextLen;
  }

  public UNet2DConditionModel unet() {
    return unet;
  }

  /** Attaches an adapter; the graph is recompiled on the next call. */
  public synchronized void attach(LayerAdapter adapter) {
    checkArgument(!adapters.contains(adapter), "adapter already attached");
    adapters.add(adapter);
    graph = null;
  }

  /** Detaches an adapter. */
  public synchronized void detach(LayerAdapter adapter) {
    checkArgument(adapters.remove(adapter), "adapter is not attached");
    graph = null;
  }

  /** The attached adapters, in order. */
  public synchronized List<LayerAdapter> adapters() {
    return List.copyOf(adapters);
  }

  /** Module names that the attached adapters modify (compiles the graph). */
  public synchronized List<String> adaptedLayers() {
    compiled();
    return adaptedLayers;
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
      graph = null;
    }
  }

  /** The compiled graph, for diagnostics (profiling listeners, op counts); do not modify it. */
  public synchronized SameDiff graph() {
    return compiled();
  }

  private SameDiff compiled() {
    if (graph == null) {
      SameDiff sd = SameDiff.create();
      GraphBuilder g = new GraphBuilder(sd, unet.parameters(), adapters, baseTrainable);
      UNet2DConditionConfig c = unet.config();
      SDVariable x = sd.var(SAMPLE, Nd4j.zeros(DataType.FLOAT, 1, c.inChannels(), height, width));
      SDVariable t = sd.placeHolder(TIMESTEP, DataType.FLOAT, -1);
      SDVariable ctx = sd.placeHolder(CONTEXT, DataType.FLOAT, -1, contextLen, c.crossAttentionDim());
      SDVariable out = unet.forward(g, x, t, ctx, height, width, contextLen).rename(OUT);
      SDVariable u = sd.placeHolder(COTANGENT, DataType.FLOAT, -1, c.outChannels(), height, width);
      SDVariable loss = out.mul(u).sum().rename("vjp_loss");
      sd.setLossVariables(loss);
      adaptedLayers = List.copyOf(g.adaptedLayers());
      graph = sd;
    }
    return graph;
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
    ph.put(TIMESTEP, timesteps.castTo(DataType.FLOAT).reshape(b));
    ph.put(CONTEXT, context.castTo(DataType.FLOAT));
    for (LayerAdapter a : adapters) {
      ph.putAll(a.feeds(adaptersEnabled));
    }
    return ph;
  }

  @Override
  public synchronized INDArray predict(INDArray sample, INDArray timesteps, INDArray context) {
    SameDiff sd = compiled();
    Map<String, INDArray> ph = feeds(sample, timesteps, context);
    sd.getVariable(SAMPLE).setArray(sample.castTo(DataType.FLOAT).dup());
    INDArray out = sd.output(ph, OUT).get(OUT);
    NativeMemory.releaseSessions(sd);
    NativeMemory.checkpoint();
    return out;
  }

  @Override
  public synchronized Vjp vjp(INDArray sample, INDArray timesteps, INDArray context, INDArray cotangent) {
    checkArgument(Arrays.equals(sample.shape(), cotangent.shape()), "cotangent shape %s differs from sample shape %s",
        Arrays.toString(cotangent.shape()), Arrays.toString(sample.shape()));
    SameDiff sd = compiled();
    Map<String, INDArray> ph = feeds(sample, timesteps, context);
    ph.put(COTANGENT, cotangent.castTo(DataType.FLOAT));
    sd.getVariable(SAMPLE).setArray(sample.castTo(DataType.FLOAT).dup());
    NativeMemory.collect();
    List<String> names = new ArrayList<>();
    names.add(SAMPLE);
    names.addAll(trainableParameters().keySet());
    Map<String, INDArray> grads = sd.calculateGradients(ph, names);
    NativeMemory.releaseSessions(sd);
    INDArray gx = grads.get(SAMPLE);
    checkState(gx != null, "SameDiff returned no gradient for the sample");
    Map<String, INDArray> pg = new LinkedHashMap<>();
    for (String k : trainableParameters().keySet()) {
      INDArray gk = grads.get(k);
      pg.put(k, gk != null ? gk : Nd4j.zerosLike(trainableParameters().get(k)));
    }
    NativeMemory.checkpoint();
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
}
