package org.draft4j.models.sd3;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.engine.ops.LayerNormOp;
import org.draft4j.nn.GraphBuilder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * diffusers' adaptive layer norms of the MMDiT ({@code AdaLayerNormZero}, {@code AdaLayerNormContinuous}
 * of {@code normalization.py}, v0.29.2) and the affine-free LayerNorm they wrap. Tokens are
 * {@code [B*N, D]} matrices; the conditioning {@code c} is {@code [B, D]}.
 *
 * <ul>
 *   <li>LayerNorm without affine: {@code LN(x) = (x - μ)/√(σ² + ε)} per token, biased σ², ε = 1e-6.
 *   <li>AdaLayerNormZero: {@code e = linear(silu(c))} of width 6D, split as
 *       {@code (shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp)}; returns
 *       {@code LN(x)·(1 + scale_msa) + shift_msa} and the other four chunks.
 *   <li>AdaLayerNormContinuous: {@code e = linear(silu(c))} of width 2D, split as
 *       <b>{@code (scale, shift)}</b>; returns {@code LN(x)·(1 + scale) + shift}.
 *   <li>SD35AdaLayerNormZeroX (diffusers v0.31): width 9D, the six chunks above then
 *       {@code (shift_msa2, scale_msa2, gate_msa2)}; also returns {@code LN(x)·(1 + scale_msa2) + shift_msa2}.
 * </ul>
 */
final class AdaLayerNorm {
  /** diffusers' LayerNorm epsilon in these modules. */
  static final double EPS = 1e-6;

  /** The modulated tokens and the chunks AdaLayerNormZero hands to the rest of the block, each {@code [B, D]}. */
  record Zero(SDVariable normed, SDVariable gateMsa, SDVariable shiftMlp, SDVariable scaleMlp, SDVariable gateMlp) {}

  /** SD35AdaLayerNormZeroX's outputs: those of {@link Zero} and the second attention's input and gate. */
  record ZeroX(Zero zero, SDVariable normed2, SDVariable gateMsa2) {}

  private AdaLayerNorm() {}

  /** {@code LN(x)} over the last dimension of {@code x: [M, D]}, without scale or bias. */
  static SDVariable layerNorm(GraphBuilder g, SDVariable x, long dim, double eps) {
    SameDiff sd = g.sd();
    if (g.fused()) {
      SDVariable ones = sd.constant(Nd4j.ones(DataType.FLOAT, dim));
      SDVariable zeros = sd.constant(Nd4j.zeros(DataType.FLOAT, dim));
      return LayerNormOp.apply(sd, x, ones, zeros, dim, eps);
    }
    SDVariable xc = x.sub(x.mean(true, 1));
    SDVariable var = xc.mul(xc).mean(true, 1);
    return xc.mul(sd.math.rsqrt(var.add(eps))); // not div: ND4J's divide_bp is wrong for one row
  }

  /** {@code y·(1 + scale) + shift} per sample, for tokens {@code y: [B*n, D]} and {@code scale, shift: [B, D]}. */
  static SDVariable modulate(SDVariable y, long n, long dim, SDVariable scale, SDVariable shift) {
    SDVariable y3 = y.reshape(-1, n, dim);
    return y3.mul(scale.add(1.0).reshape(-1, 1, dim)).add(shift.reshape(-1, 1, dim)).reshape(-1, dim);
  }

  /** {@code gate·y} per sample, for tokens {@code y: [B*n, D]} and {@code gate: [B, D]}. */
  static SDVariable gate(SDVariable y, long n, long dim, SDVariable gate) {
    return y.reshape(-1, n, dim).mul(gate.reshape(-1, 1, dim)).reshape(-1, dim);
  }

  /** AdaLayerNormZero {@code name} ({@code name.linear}: D → 6D) over tokens {@code x: [B*n, D]}, conditioned on {@code c}. */
  static Zero zero(GraphBuilder g, String name, SDVariable x, long n, SDVariable c, long dim) {
    SDVariable e = g.linear(name + ".linear", g.silu(c), dim, 6 * dim, true);
    SDVariable[] k = chunks(g, e, dim, 6);
    SDVariable y = modulate(layerNorm(g, x, dim, EPS), n, dim, k[1], k[0]);
    return new Zero(y, k[2], k[3], k[4], k[5]);
  }

  /** SD35AdaLayerNormZeroX {@code name} ({@code name.linear}: D → 9D) over tokens {@code x: [B*n, D]}. */
  static ZeroX zeroX(GraphBuilder g, String name, SDVariable x, long n, SDVariable c, long dim) {
    SDVariable e = g.linear(name + ".linear", g.silu(c), dim, 9 * dim, true);
    SDVariable[] k = chunks(g, e, dim, 9);
    SDVariable ln = layerNorm(g, x, dim, EPS);
    Zero z = new Zero(modulate(ln, n, dim, k[1], k[0]), k[2], k[3], k[4], k[5]);
    return new ZeroX(z, modulate(ln, n, dim, k[7], k[6]), k[8]);
  }

  /** AdaLayerNormContinuous {@code name} ({@code name.linear}: D_c → 2D, chunks (scale, shift)) over {@code x: [B*n, D]}. */
  static SDVariable continuous(GraphBuilder g, String name, SDVariable x, long n, SDVariable c, long condDim,
      long dim) {
    SDVariable e = g.linear(name + ".linear", g.silu(c), condDim, 2 * dim, true);
    SDVariable[] k = chunks(g, e, dim, 2);
    return modulate(layerNorm(g, x, dim, EPS), n, dim, k[0], k[1]);
  }

  /** torch's {@code e.chunk(count, dim=1)} of {@code e: [B, count·dim]}. */
  static SDVariable[] chunks(GraphBuilder g, SDVariable e, long dim, int count) {
    checkArgument(count >= 1, "count = %s must be >= 1", count);
    SDVariable[] out = new SDVariable[count];
    for (int i = 0; i < count; i++) {
      out[i] = g.columns(e, i * dim, (i + 1) * dim);
    }
    return out;
  }
}
