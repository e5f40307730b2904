package org.draft4j.engine.plan;

import org.draft4j.engine.kernel.DivideByScalarBpOp;
import org.draft4j.engine.kernel.PointwiseConvOp;
import org.draft4j.engine.memory.NativeAccess;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;

/**
 * Cheaper replacements for SameDiff's ops: backward ops when some of their outputs are never read
 * (the gradient of a frozen weight, or of a bias), 1×1 convolutions, and one broken backward op. SameDiff differentiates every op whose input depends
 * on a trainable variable and its backward ops always compute the gradients of all inputs; PyTorch
 * skips those of tensors that need none. Decided while tracing, when shapes are known:
 *
 * <ul>
 *   <li>{@code conv2d_bp} with only dL/dx read: TensorFlow's conv2d-backprop-input
 *       ({@code deconv2d_tf}, oneDNN's backward-data primitive) instead of data + weights + bias;
 *   <li>{@code matmul_bp} with one gradient read: that gradient's single matmul
 *       ({@code Z = op(A)·op(B)}: {@code dA = G·op(B)ᵀ} or {@code op(B)·Gᵀ}, {@code dB = op(A)ᵀ·G}
 *       or {@code Gᵀ·op(A)});
 *   <li>{@code conv2d} with a 1×1 kernel (stride 1, no padding), and {@code conv2d_bp} of one with only
 *       dL/dx read: a GEMM per sample ({@link PointwiseConvOp}), where oneDNN's convolution is slow;
 *   <li>{@code divide_bp} by a one-element divisor, which ND4J gets wrong ({@link DivideByScalarBpOp}),
 *       and {@code matmul_bp} of a dot product (Z with one element), which it also gets wrong: two
 *       matmuls;
 *   <li>{@code add_bp}/{@code subtract_bp}/{@code multiply_bp} whose read gradients need no
 *       broadcast reduction: {@code dx = G} (a view), {@code dy = −G}, {@code dx = G·y}, {@code dy = G·x}.
 * </ul>
 *
 * With verification on, the tracer checks each replacement against the op it replaces.
 */
final class Rewrites {
  private Rewrites() {}

  /** Replacement nodes for {@code n}, or null to run it as it is. */
  static List<OpNode> rewrite(OpNode n, INDArray[] in, boolean[] live) {
    boolean allLive = true;
    for (boolean l : live) {
      allLive &= l;
    }
    String name = n.opName();
    if (allLive && !name.equals("add_bp") && !name.equals("multiply_bp") && !name.equals("subtract_bp")
        && !name.equals("conv2d") && !name.equals("divide_bp") && !(name.equals("matmul_bp") && dot(in))) {
      return null;
    }
    try {
      return switch (name) {
        case "conv2d" -> pointwise(n, in);
        case "divide_bp" -> in.length == 3 && DivideByScalarBpOp.applies(in[0], in[1]) ? List.of(new OpNode(
            new DivideByScalarBpOp(), n.inputs(), n.outputs(), n.forward(), n.segment(),
            "divide_bp by one element -> dx = g/y, dy = -sum(g*x)/y^2 (ND4J's dy is wrong here)")) : null;
        case "matmul_bp" -> matmul(n, in, live);
        case "conv2d_bp" -> conv(n, in, live);
        case "add_bp", "subtract_bp", "multiply_bp" -> elementwise(n, in, live);
        default -> null;
      };
    } catch (RuntimeException e) {
      return null; // an op unknown to this backend: keep the original
    }
  }

  private static OpNode node(DynamicCustomOp op, List<String> inputs, String output, String note) {
    return new OpNode(op, inputs, List.of(output), false, -1, note);
  }

  private static DynamicCustomOp matmulOp(boolean tx, boolean ty) {
    return DynamicCustomOp.builder("matmul").addIntegerArguments(tx ? 1 : 0, ty ? 1 : 0, 0)
        .addFloatingPointArguments(1.0, 0.0).build();
  }

  private static List<OpNode> matmul(OpNode n, INDArray[] in, boolean[] live) {
    long[] ia = ((DynamicCustomOp) n.op()).iArgs();
    boolean ta = ia.length > 0 && ia[0] != 0;
    boolean tb = ia.length > 1 && ia[1] != 0;
    boolean tz = ia.length > 2 && ia[2] != 0;
    if (tz || in.length != 3 || live.length != 2 || !(live[0] || live[1]) || in[0].rank() != in[1].rank()
        || in[0].rank() != in[2].rank()) {
      return null;
    }
    for (int d = 0; d < in[0].rank() - 2; d++) {
      if (in[0].size(d) != in[1].size(d)) {
        return null; // broadcast batch dimensions: dB would need a reduction
      }
    }
    String a = n.inputs().get(0);
    String b = n.inputs().get(1);
    String g = n.inputs().get(2);
    if (live[0] && live[1]) {
      if (!dot(in)) {
        return null; // matmul_bp computes both as well as two matmuls would
      }
      return List.of(dA(n, a, b, g, ta, tb), dB(n, a, b, g, ta, tb));
    }
    return List.of(live[0] ? dA(n, a, b, g, ta, tb) : dB(n, a, b, g, ta, tb));
  }

  private static OpNode dA(OpNode n, String a, String b, String g, boolean ta, boolean tb) {
    return !ta ? node(matmulOp(false, !tb), List.of(g, b), n.outputs().get(0), "matmul_bp -> dA = G·op(B)ᵀ")
        : node(matmulOp(tb, true), List.of(b, g), n.outputs().get(0), "matmul_bp -> dA = op(B)·Gᵀ");
  }

  private static OpNode dB(OpNode n, String a, String b, String g, boolean ta, boolean tb) {
    return !tb ? node(matmulOp(!ta, false), List.of(a, g), n.outputs().get(1), "matmul_bp -> dB = op(A)ᵀ·G")
        : node(matmulOp(true, ta), List.of(g, a), n.outputs().get(1), "matmul_bp -> dB = Gᵀ·op(A)");
  }

  /**
   * Whether a {@code matmul_bp} is a dot product ({@code Z} has one element): ND4J M2.1 gets both
   * gradients wrong there (measured: A [1, 16]·Bᵀ with B [1, 16], errors of 5 on values near 1).
   */
  static boolean dot(INDArray[] in) {
    return in.length == 3 && in[2] != null && in[2].length() == 1 && in[0].length() > 1;
  }

  /** Whether the op replaced is one ND4J computes wrongly for these inputs (nothing to verify against). */
  static boolean replacesBrokenOp(OpNode n, INDArray[] in) {
    return n.opName().equals("divide_bp") || n.opName().equals("matmul_bp") && dot(in);
  }

  /** Whether conv2d arguments describe a 1×1 kernel, stride 1, no padding, no dilation, NCHW, YXIO weights. */
  private static boolean isPointwise(long[] ia) {
    return ia.length >= 8 && ia[0] == 1 && ia[1] == 1 && ia[2] == 1 && ia[3] == 1 && ia[4] == 0 && ia[5] == 0
        && ia[6] == 1 && ia[7] == 1 && (ia.length <= 9 || ia[9] == 0) && (ia.length <= 10 || ia[10] == 0);
  }

  private static List<OpNode> pointwise(OpNode n, INDArray[] in) {
    long[] ia = ((DynamicCustomOp) n.op()).iArgs();
    if (!isPointwise(ia) || in.length < 2 || !PointwiseConvOp.applies(in[0], in[1], false)
        || n.outputs().size() != 1 || !NativeAccess.cpu()) {
      return null;
    }
    boolean bias = in.length > 2 && in[2] != null;
    return List.of(new OpNode(new PointwiseConvOp(false, bias), n.inputs(), n.outputs(), n.forward(), n.segment(),
        "conv2d 1x1 -> GEMM per sample"));
  }

  private static List<OpNode> conv(OpNode n, INDArray[] in, boolean[] live) {
    if (!live[0]) {
      return null;
    }
    for (int k = 1; k < live.length; k++) {
      if (live[k]) {
        return null;
      }
    }
    INDArray x = in[0];
    INDArray grad = in[in.length - 1];
    long[] ia = ((DynamicCustomOp) n.op()).iArgs();
    if (isPointwise(ia) && NativeAccess.cpu() && PointwiseConvOp.applies(grad, in[1], true)
        && Arrays.equals(x.shape(), new long[] {grad.size(0), in[1].size(2), grad.size(2), grad.size(3)})) {
      return List.of(new OpNode(new PointwiseConvOp(true, false), List.of(n.inputs().get(n.inputs().size() - 1),
          n.inputs().get(1)), List.of(n.outputs().get(0)), false, -1, "conv2d_bp 1x1 -> dx = W·dy per sample"));
    }
    // deconv2d_tf's oneDNN path reads the output width from the height: square inputs only; its
    // shape function has no output padding: stride 1 only; NCHW data and [kH, kW, iC, oC] weights
    if (x.rank() != 4 || x.size(2) != x.size(3) || grad.size(2) != grad.size(3) || ia.length < 9 || ia[2] != 1
        || ia[3] != 1 || ia.length > 9 && ia[9] != 0 || ia.length > 10 && ia[10] != 0) {
      return null;
    }
    String shapeName = n.outputs().get(0) + "#shape";
    OpNode shape = new OpNode(DynamicCustomOp.builder("shape_of").build(), List.of(n.inputs().get(0)),
        List.of(shapeName), false, -1, "shape of conv input");
    int[] args = new int[11];
    for (int k = 0; k < args.length && k < ia.length; k++) {
      args[k] = (int) ia[k];
    }
    DynamicCustomOp d = DynamicCustomOp.builder("deconv2d_tf").addIntegerArguments(args).build();
    OpNode back = node(d, List.of(shapeName, n.inputs().get(1), n.inputs().get(n.inputs().size() - 1)),
        n.outputs().get(0), "conv2d_bp -> backward data only");
    return List.of(shape, back);
  }

  private static List<OpNode> elementwise(OpNode n, INDArray[] in, boolean[] live) {
    if (in.length != 3 || live.length != 2) {
      return null;
    }
    INDArray g = in[2];
    List<OpNode> out = new ArrayList<>();
    for (int k = 0; k < 2; k++) {
      if (!live[k]) {
        continue;
      }
      if (!Arrays.equals(in[k].shape(), g.shape()) || in[k].dataType() != g.dataType()) {
        return null; // needs a broadcast reduction: keep the op
      }
      String gName = n.inputs().get(2);
      String target = n.outputs().get(k);
      switch (n.opName()) {
        case "add_bp" -> out.add(node(DynamicCustomOp.builder("identity").build(), List.of(gName), target,
            "add_bp -> d = G (view)"));
        case "subtract_bp" -> out.add(k == 0
            ? node(DynamicCustomOp.builder("identity").build(), List.of(gName), target, "subtract_bp -> dx = G (view)")
            : node(DynamicCustomOp.builder("neg").build(), List.of(gName), target, "subtract_bp -> dy = -G"));
        default -> out.add(node(DynamicCustomOp.builder("multiply").build(), List.of(gName, n.inputs().get(1 - k)),
            target, "multiply_bp -> d = G·other"));
      }
    }
    return out.isEmpty() ? null : out;
  }
}
