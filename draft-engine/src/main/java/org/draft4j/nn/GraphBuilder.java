package org.draft4j.nn;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.draft4j.engine.Segments;
import org.draft4j.engine.ops.Activation;
import org.draft4j.engine.ops.ActivationOp;
import org.draft4j.engine.ops.GatedOp;
import org.draft4j.engine.ops.GroupNormOp;
import org.draft4j.engine.ops.LayerNormOp;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds PyTorch-equivalent layers into a {@link SameDiff} graph. Weights come from a
 * {@link Parameters} store under the reference implementation's names and enter the graph as
 * constants (never trained); attached {@link LayerAdapter}s add trainable deltas to linear and
 * convolution layers. Layouts follow PyTorch: linear weights {@code [out, in]}, convolution weights
 * {@code [out, in, kH, kW]}, images NCHW, token sequences {@code [B, N, C]} handled as
 * {@code [B*N, C]} matrices.
 *
 * <p>With {@code fused} (graphs run by draft4j's engine) normalizations and activations are single
 * fused ops ({@link GroupNormOp} with the following SiLU, {@link LayerNormOp}, {@link GatedOp},
 * {@link ActivationOp}); otherwise (graphs for SameDiff's own executor) they are composed from
 * SameDiff primitives. Segments marked with {@link #segment} let gradient plans checkpoint per block.
 *
 * <p>Workarounds for SameDiff 1.0.0-M2.1 are applied here once: unfused GroupNorm and LayerNorm are
 * composed by hand (the built-in layer norm has eps 0), GELU is the exact erf form, stride-2 convolutions use
 * explicit padding (SAME padding is TensorFlow's asymmetric kind), and nearest upsampling uses the
 * NCHW overload of {@code upsampling2d}; PyTorch conv weights are permuted to YXIO in the graph
 * because {@code conv2d_bp} ignores {@code weightsFormat(OIYX)}.
 */
public final class GraphBuilder {
  /** Convolution geometry, for adapters that add a convolution-shaped delta. */
  public record ConvGeometry(int kernel, int stride, int padding) {}

  private final SameDiff sd;
  private final Parameters params;
  private final List<LayerAdapter> adapters;
  private final List<String> adaptedLayers = new ArrayList<>();

  private final boolean baseTrainable;
  private final boolean fused;
  private final Segments segments;

  /** Unfused, constant base weights. */
  public GraphBuilder(SameDiff sd, Parameters params, List<LayerAdapter> adapters) {
    this(sd, params, adapters, false, false);
  }

  /** Unfused. */
  public GraphBuilder(SameDiff sd, Parameters params, List<LayerAdapter> adapters, boolean baseTrainable) {
    this(sd, params, adapters, baseTrainable, false);
  }

  /**
   * @param baseTrainable base weights enter as variables (for pretraining a model from scratch)
   *     instead of constants (fine-tuning: only adapters train)
   * @param fused emit draft4j's fused ops (the graph then runs on the engine only)
   */
  public GraphBuilder(SameDiff sd, Parameters params, List<LayerAdapter> adapters, boolean baseTrainable,
      boolean fused) {
    this(sd, params, adapters, baseTrainable, fused, new Segments(sd));
  }

  /**
   * As above, recording checkpointing segments into {@code segments} (shared by several builders of
   * one graph, as a reward graph's decoder and reward towers are).
   */
  public GraphBuilder(SameDiff sd, Parameters params, List<LayerAdapter> adapters, boolean baseTrainable,
      boolean fused, Segments segments) {
    checkArgument(segments.graph() == sd, "segments belong to another graph");
    this.sd = sd;
    this.params = params;
    this.adapters = List.copyOf(adapters);
    this.baseTrainable = baseTrainable;
    this.fused = fused;
    this.segments = segments;
  }

  /** Whether fused ops are emitted. */
  public boolean fused() {
    return fused;
  }

  /** Starts a checkpointing segment at the next op (see {@link Segments}). */
  public void segment(String label) {
    segments.begin(label);
  }

  /** The segments marked so far. */
  public Segments segments() {
    return segments;
  }

  /** Whether base weights enter the graph as trainable variables. */
  public boolean baseTrainable() {
    return baseTrainable;
  }

  public SameDiff sd() {
    return sd;
  }

  public Parameters params() {
    return params;
  }

  /** Module names that received at least one adapter delta while building. */
  public List<String> adaptedLayers() {
    return adaptedLayers;
  }

  /**
   * A weight as a graph constant, or a variable when base weights are trainable (the same array
   * object as the store's either way, so in-place updates and merges are seen).
   */
  public SDVariable weight(String name, long[] shape, Parameters.Init init, long fanIn) {
    SDVariable existing = sd.hasVariable(name) ? sd.getVariable(name) : null;
    if (params.isShapesOnly()) {
      return existing != null ? existing : sd.placeHolder(name, DataType.FLOAT, shape);
    }
    INDArray a = params.get(name, shape, init, fanIn);
    if (existing != null) {
      return existing;
    }
    return baseTrainable ? sd.var(name, a) : sd.constant(name, a);
  }

  /** {@code y = x Wᵀ + b} for {@code x: [M, in]}; module {@code name} holds {@code weight} [out,in] and {@code bias}. */
  public SDVariable linear(String name, SDVariable x, long in, long out, boolean bias) {
    SDVariable w = weight(name + ".weight", new long[] {out, in}, Parameters.Init.UNIFORM_FAN_IN, in);
    SDVariable y = sd.mmul(x, w, false, true, false);
    if (bias) {
      y = y.add(weight(name + ".bias", new long[] {out}, Parameters.Init.UNIFORM_FAN_IN, in));
    }
    return adapt(new Layer(name, Layer.Kind.LINEAR, in, out, 1), x, y, null);
  }

  /** 2-D convolution with PyTorch semantics (symmetric zero padding), NCHW. */
  public SDVariable conv(String name, SDVariable x, long in, long out, int kernel, int stride, int padding) {
    long fanIn = in * kernel * kernel;
    SDVariable w = weight(name + ".weight", new long[] {out, in, kernel, kernel}, Parameters.Init.UNIFORM_FAN_IN, fanIn);
    SDVariable b = weight(name + ".bias", new long[] {out}, Parameters.Init.UNIFORM_FAN_IN, fanIn);
    // conv2d_bp of M2.1 ignores weightsFormat OIYX (forward honours it): feed YXIO [kH, kW, in, out]
    Conv2DConfig cfg = Conv2DConfig.builder().kH(kernel).kW(kernel).sH(stride).sW(stride).pH(padding).pW(padding)
        .paddingMode(PaddingMode.VALID).dataFormat("NCHW").weightsFormat(WeightsFormat.YXIO).build();
    SDVariable y = sd.cnn.conv2d(x, w.permute(2, 3, 1, 0), b, cfg);
    return adapt(new Layer(name, Layer.Kind.CONV, in, out, kernel), x, y, new ConvGeometry(kernel, stride, padding));
  }

  /**
   * A bare convolution with a PyTorch-layout weight variable {@code [out, in, k, k]} (no bias, no
   * adapters), for adapters that add convolution-shaped deltas.
   */
  public SDVariable convWith(SDVariable x, SDVariable weightOiyx, int kernel, int stride, int padding) {
    Conv2DConfig cfg = Conv2DConfig.builder().kH(kernel).kW(kernel).sH(stride).sW(stride).pH(padding).pW(padding)
        .paddingMode(PaddingMode.VALID).dataFormat("NCHW").weightsFormat(WeightsFormat.YXIO).build();
    return sd.cnn.conv2d(x, weightOiyx.permute(2, 3, 1, 0), cfg);
  }

  private SDVariable adapt(Layer layer, SDVariable x, SDVariable y, ConvGeometry geometry) {
    boolean any = false;
    for (LayerAdapter a : adapters) {
      if (a.appliesTo(layer)) {
        y = y.add(a.delta(sd, layer, x, geometry));
        any = true;
      }
    }
    if (any) {
      adaptedLayers.add(layer.module());
    }
    return y;
  }

  /**
   * GroupNorm over {@code x: [B, C, H, W]}: per sample and group of C/G channels, normalize by the
   * biased variance, then an affine per channel: {@code (x-μ)/sqrt(σ²+eps)·γ + β}.
   */
  public SDVariable groupNorm(String name, SDVariable x, long channels, long h, long w, int groups, double eps) {
    return groupNorm(name, x, channels, h, w, groups, eps, Activation.NONE);
  }

  /** {@code f(GroupNorm(x))} (ResNet blocks: f = SiLU), one op when fused. */
  public SDVariable groupNorm(String name, SDVariable x, long channels, long h, long w, int groups, double eps,
      Activation f) {
    SDVariable g = weight(name + ".weight", new long[] {channels}, Parameters.Init.ONES, 0);
    SDVariable b = weight(name + ".bias", new long[] {channels}, Parameters.Init.ZEROS, 0);
    if (fused) {
      return GroupNormOp.apply(sd, x, g, b, groups, eps, f);
    }
    SDVariable xg = x.reshape(-1, groups, (channels / groups) * h * w);
    SDVariable xc = xg.sub(xg.mean(true, 2));
    SDVariable var = xc.mul(xc).mean(true, 2);
    // x·rsqrt(σ²+ε), not x/√(σ²+ε): ND4J's divide_bp is wrong for a one-element divisor
    SDVariable y = xc.mul(sd.math.rsqrt(var.add(eps))).reshape(-1, channels, h, w);
    y = y.mul(g.reshape(1, channels, 1, 1)).add(b.reshape(1, channels, 1, 1));
    return activation(y, f);
  }

  private SDVariable activation(SDVariable x, Activation f) {
    return switch (f) {
      case NONE -> x;
      case SILU -> silu(x);
      case GELU -> gelu(x);
      case QUICK_GELU -> quickGelu(x);
    };
  }

  /** LayerNorm over the last dimension of {@code x: [M, C]}: {@code (x-μ)/sqrt(σ²+eps)·γ + β}. */
  public SDVariable layerNorm(String name, SDVariable x, long channels, double eps) {
    SDVariable g = weight(name + ".weight", new long[] {channels}, Parameters.Init.ONES, 0);
    SDVariable b = weight(name + ".bias", new long[] {channels}, Parameters.Init.ZEROS, 0);
    if (fused) {
      return LayerNormOp.apply(sd, x, g, b, channels, eps);
    }
    SDVariable xc = x.sub(x.mean(true, 1));
    SDVariable var = xc.mul(xc).mean(true, 1);
    SDVariable y = xc.mul(sd.math.rsqrt(var.add(eps))); // not div: ND4J's divide_bp is wrong for one row
    return y.mul(g).add(b);
  }

  /** SiLU: {@code x·σ(x)}. */
  public SDVariable silu(SDVariable x) {
    return fused ? ActivationOp.apply(sd, x, Activation.SILU) : sd.nn.swish(x);
  }

  /** Exact GELU: {@code 0.5·x·(1 + erf(x/√2))}. */
  public SDVariable gelu(SDVariable x) {
    if (fused) {
      return ActivationOp.apply(sd, x, Activation.GELU);
    }
    return x.mul(0.5).mul(sd.math.erf(x.mul(1.0 / Math.sqrt(2.0))).add(1.0));
  }

  /** CLIP's quick GELU: {@code x·σ(1.702x)}. */
  public SDVariable quickGelu(SDVariable x) {
    if (fused) {
      return ActivationOp.apply(sd, x, Activation.QUICK_GELU);
    }
    return x.mul(sd.nn.sigmoid(x.mul(1.702)));
  }

  /** diffusers' GEGLU on a projection {@code p = [a | b]} of width 2F: {@code a·GELU(b)}. */
  public SDVariable geglu(SDVariable p, long half) {
    if (fused) {
      return GatedOp.apply(sd, p, half, Activation.GELU);
    }
    return columns(p, 0, half).mul(gelu(columns(p, half, 2 * half)));
  }

  /** Columns {@code [from, to)} of a matrix {@code [M, C]}. */
  public SDVariable columns(SDVariable x, long from, long to) {
    return x.get(SDIndex.all(), SDIndex.interval(from, to));
  }

  /** Nearest-neighbour 2× upsampling of NCHW. */
  public SDVariable upsampleNearest2x(SDVariable x) {
    return sd.cnn.upsampling2d(x, 2, 2, true);
  }

  /**
   * Multi-head attention in diffusers' {@code Attention} layout: {@code to_q}, {@code to_k},
   * {@code to_v} (no bias unless {@code qkvBias}) and {@code to_out.0} (with bias), softmax over
   * {@code QKᵀ/√d}. {@code x: [B*Nq, queryDim]}, {@code context: [B*Nk, contextDim]} (or x for
   * self-attention); returns {@code [B*Nq, queryDim]}.
   */
  public SDVariable attention(String name, SDVariable x, long nq, long queryDim, SDVariable context, long nk,
      long contextDim, int heads, long headDim, boolean qkvBias, INDArray additiveMask) {
    long inner = (long) heads * headDim;
    SDVariable q = linear(name + ".to_q", x, queryDim, inner, qkvBias);
    SDVariable k = linear(name + ".to_k", context, contextDim, inner, qkvBias);
    SDVariable v = linear(name + ".to_v", context, contextDim, inner, qkvBias);
    SDVariable o = multiHead(q, k, v, nq, nk, heads, headDim, additiveMask);
    return linear(name + ".to_out.0", o, inner, queryDim, true);
  }

  /** Scaled dot-product attention over projected {@code q [B*Nq, h*d]}, {@code k, v [B*Nk, h*d]}. */
  public SDVariable multiHead(SDVariable q, SDVariable k, SDVariable v, long nq, long nk, int heads, long headDim,
      INDArray additiveMask) {
    if (fused) {
      return multiHead4d(q, k, v, nq, nk, heads, headDim, additiveMask);
    }
    SDVariable qh = toHeads(q, nq, heads, headDim);
    SDVariable kh = toHeads(k, nk, heads, headDim);
    SDVariable vh = toHeads(v, nk, heads, headDim);
    SDVariable scores = sd.mmul(qh, kh, false, true, false).mul(1.0 / Math.sqrt(headDim));
    if (additiveMask != null) {
      scores = scores.add(sd.constant(additiveMask.castTo(DataType.FLOAT).reshape(1, nq, nk)));
    }
    SDVariable p = sd.nn.softmax(scores, -1);
    SDVariable o = sd.mmul(p, vh, false, false, false); // [B*h, Nq, d]
    return o.reshape(-1, heads, nq, headDim).permute(0, 2, 1, 3).reshape(-1, (long) heads * headDim);
  }

  /**
   * The same attention for the engine: heads are 4-D views {@code [B, h, N, d]} of the projections
   * (batched matmuls read strided views as fast as dense ones), so only the output is copied back
   * to token-major order; q is scaled before the product (Nq·d values instead of Nq·Nk scores).
   */
  private SDVariable multiHead4d(SDVariable q, SDVariable k, SDVariable v, long nq, long nk, int heads, long headDim,
      INDArray additiveMask) {
    SDVariable qh = q.mul(1.0 / Math.sqrt(headDim)).reshape(-1, nq, heads, headDim).permute(0, 2, 1, 3);
    SDVariable kh = k.reshape(-1, nk, heads, headDim).permute(0, 2, 1, 3);
    SDVariable vh = v.reshape(-1, nk, heads, headDim).permute(0, 2, 1, 3);
    SDVariable mask = additiveMask == null ? null
        : sd.constant(additiveMask.castTo(DataType.FLOAT).reshape(1, 1, nq, nk));
    long chunk = attentionChunk(nq, nk, heads);
    SDVariable o;
    if (chunk >= nq) {
      o = attend(qh, kh, vh, mask);
    } else {
      // sliced attention: query chunks, each its own checkpointing segment, so neither the forward nor
      // a checkpointed backward ever holds more than one chunk's scores
      List<SDVariable> parts = new ArrayList<>();
      String base = "attention@" + sd.getOps().size();
      for (long from = 0; from < nq; from += chunk) {
        long to = Math.min(nq, from + chunk);
        segment(base + ".queries" + from);
        SDVariable qc = qh.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(from, to), SDIndex.all());
        SDVariable mc = mask == null ? null : mask.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(from, to),
            SDIndex.all());
        parts.add(attend(qc, kh, vh, mc));
      }
      segment(base + ".merge");
      o = sd.concat(2, parts.toArray(new SDVariable[0]));
    }
    return o.permute(0, 2, 1, 3).reshape(-1, (long) heads * headDim);
  }

  /** {@code softmax(q·kᵀ + mask)·v} on head views {@code [B, h, N, d]}. */
  private SDVariable attend(SDVariable qh, SDVariable kh, SDVariable vh, SDVariable mask) {
    SDVariable scores = sd.mmul(qh, kh, false, true, false); // [B, h, Nq, Nk]
    if (mask != null) {
      scores = scores.add(mask);
    }
    SDVariable p = sd.nn.softmax(scores, -1);
    return sd.mmul(p, vh, false, false, false); // [B, h, Nq, d]
  }

  /**
   * Queries per attention slice: all of them unless one sample's scores would exceed
   * {@value #ATTENTION_SLICE} values (64 MB), as in SD 1.5's 64×64 level (8 heads × 4096²); then
   * chunks of that size (a divisor-free split; the last chunk may be shorter).
   */
  static long attentionChunk(long nq, long nk, int heads) {
    long perQuery = (long) heads * nk;
    if (perQuery * nq <= ATTENTION_SLICE) {
      return nq;
    }
    return Math.max(1, ATTENTION_SLICE / perQuery);
  }

  private static final long ATTENTION_SLICE = 1L << 24;

  private static SDVariable toHeads(SDVariable x, long n, int heads, long headDim) {
    return x.reshape(-1, n, heads, headDim).permute(0, 2, 1, 3).reshape(-1, n, headDim);
  }

  /** An upper-triangular {@code -1e9} mask of size n×n (causal attention). */
  public static INDArray causalMask(int n) {
    float[] m = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        m[i * n + j] = -1e9f;
      }
    }
    return Nd4j.create(m, new long[] {n, n}, 'c');
  }
}
