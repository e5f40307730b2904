package org.draft4j.engine.kernel;

import org.draft4j.engine.memory.NativeAccess;

import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseOp;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.OpaqueDataBuffer;

/**
 * Executes single ops: {@link #execute} allocates outputs and runs an op through ND4J's own
 * executioner (the reference path, used while tracing), {@link #bind} makes a {@link Kernel} over
 * fixed arrays that replays the op with as little per-call work as the backend allows: a native
 * context built once for custom ops, and on the CPU a direct native call for legacy ops.
 */
public final class Kernels {
  private Kernels() {}

  /** Whether a legacy op takes its reduction axes from its second argument. */
  private static boolean axisArg(DifferentialFunction df, int nIn) {
    return df instanceof ReduceOp r && r.getOpType() != Op.Type.REDUCE3 && nIn == 2;
  }

  /** Configures a legacy op from argument arrays as SameDiff does (axes or scalar given as inputs). */
  private static void configureLegacy(DifferentialFunction df, INDArray[] in) {
    if (axisArg(df, in.length)) {
      INDArray axes = in[1];
      if (axes.isEmpty()) {
        throw new UnsupportedOperationException("empty-axis reduction " + df.opName());
      }
      df.setDimensions(Shape.normalizeAxis(in[0].rank(), axes.toIntVector()));
      ((BaseReduceOp) df).setEmptyReduce(false);
    } else if (df instanceof ScalarOp s && in.length == 2) {
      s.setScalar(in[1]);
    }
  }

  private static OpContext legacyContext(DifferentialFunction df, INDArray[] in, INDArray out) {
    OpContext oc = Nd4j.getExecutioner().buildContext();
    oc.setInputArray(0, in[0]);
    if (in.length == 2 && !axisArg(df, 2) && !(df instanceof ScalarOp)) {
      oc.setInputArray(1, in[1]);
    }
    if (out != null) {
      oc.setOutputArray(0, out);
    }
    return oc;
  }

  /**
   * Output shapes and types of an op for these inputs ({@code graphTypes}: the graph's declared
   * output types, which win over the shape function's, as in SameDiff).
   */
  public static LongShapeDescriptor[] outputShapes(DifferentialFunction df, INDArray[] in, DataType[] graphTypes) {
    List<LongShapeDescriptor> shapes;
    if (df instanceof JavaOp j) {
      long[][] s = j.outputShapes(in);
      DataType[] t = j.outputTypes(in, s.length);
      LongShapeDescriptor[] r = new LongShapeDescriptor[s.length];
      for (int i = 0; i < s.length; i++) {
        r[i] = LongShapeDescriptor.fromShape(s[i], t[i]);
      }
      shapes = Arrays.asList(r);
    } else if (df instanceof CustomOp) {
      DynamicCustomOp c = (DynamicCustomOp) df;
      OpContext oc = Nd4j.getExecutioner().buildContext();
      oc.setArgs(in, c.iArgs(), c.dArgs(), c.tArgs(), c.bArgs());
      shapes = c.calculateOutputShape(oc);
    } else {
      configureLegacy(df, in);
      shapes = ((BaseOp) df).calculateOutputShape(legacyContext(df, in, null));
    }
    if (shapes == null || shapes.isEmpty()) {
      throw new IllegalStateException("no output shape for op " + df.getOwnName() + " (" + df.opName() + ")");
    }
    LongShapeDescriptor[] r = shapes.toArray(new LongShapeDescriptor[0]);
    for (int i = 0; i < r.length && graphTypes != null && i < graphTypes.length; i++) {
      if (graphTypes[i] != null && r[i].dataType() != graphTypes[i]) {
        r[i] = r[i].asDataType(graphTypes[i]);
      }
    }
    return r;
  }

  /**
   * Allocates an array for a shape descriptor, always in c order: plans lay out every tensor in c
   * order, and views recorded while tracing must describe the same layout (a shape function may ask
   * for Fortran order when an input is a transposed view).
   */
  public static INDArray allocate(LongShapeDescriptor d) {
    if (d.isEmpty()) {
      return Nd4j.create(d);
    }
    return Nd4j.createUninitialized(d.dataType(), d.getShape(), 'c');
  }

  /** Runs an op once through ND4J's executioner into preallocated outputs. */
  public static void execute(DifferentialFunction df, INDArray[] in, INDArray[] out) {
    if (df instanceof JavaOp j) {
      j.bind(in, out).run();
    } else if (df instanceof CustomOp) {
      DynamicCustomOp c = (DynamicCustomOp) df;
      OpContext oc = Nd4j.getExecutioner().buildContext();
      oc.setArgs(in, c.iArgs(), c.dArgs(), c.tArgs(), c.bArgs());
      oc.setOutputArrays(out);
      Nd4j.getExecutioner().exec(c, oc);
    } else {
      configureLegacy(df, in);
      Nd4j.getExecutioner().exec((Op) df, legacyContext(df, in, out[0]));
    }
  }

  /** A replayable kernel over fixed arrays. */
  public static Kernel bind(DifferentialFunction df, INDArray[] in, INDArray[] out) {
    if (df instanceof JavaOp j) {
      return new JavaKernel(df.opName(), j.bind(in, out));
    }
    if (df instanceof CustomOp) {
      if (NativeAccess.cpu() && (df.opName().equals("reshape") || df.opName().equals("assign") && in.length == 1)
          && out.length == 1) {
        Kernel copy = StridedCopy.create(df.opName(), in[0], out[0]);
        if (copy != null) {
          return copy;
        }
      }
      return new CustomKernel((DynamicCustomOp) df, in, out);
    }
    configureLegacy(df, in);
    if (NativeAccess.cpu()) {
      Kernel k = LegacyKernel.create((Op) df, in, out[0]);
      if (k != null) {
        return k;
      }
    }
    return new ExecutionerKernel((Op) df, legacyContext(df, in, out[0]));
  }

  /** A custom op with a native context built once. */
  static final class CustomKernel implements Kernel {
    private final String name;
    private final long hash;
    private final OpContext ctx;
    private final DynamicCustomOp op;
    private final boolean direct;

    CustomKernel(DynamicCustomOp op, INDArray[] in, INDArray[] out) {
      this.op = op;
      this.name = op.opName();
      this.hash = op.opHash();
      this.ctx = Nd4j.getExecutioner().buildContext();
      ctx.setArgs(in, op.iArgs(), op.dArgs(), op.tArgs(), op.bArgs());
      ctx.setOutputArrays(out);
      this.direct = NativeAccess.cpu();
    }

    @Override
    public void run() {
      if (direct) {
        int status = NativeAccess.ops().execCustomOp2(null, hash, ctx.contextPointer());
        if (status != 0) {
          throw new IllegalStateException("op " + name + " failed in native code (status " + status + "): "
              + NativeAccess.ops().lastErrorMessage());
        }
      } else {
        Nd4j.getExecutioner().exec(op, ctx);
      }
    }

    @Override
    public String opName() {
      return name;
    }
  }

  /** A legacy op through the executioner with a context built once (non-CPU backends, rare op kinds). */
  static final class ExecutionerKernel implements Kernel {
    private final Op op;
    private final OpContext ctx;

    ExecutionerKernel(Op op, OpContext ctx) {
      this.op = op;
      this.ctx = ctx;
    }

    @Override
    public void run() {
      Nd4j.getExecutioner().exec(op, ctx);
    }

    @Override
    public String opName() {
      return op.opName();
    }
  }

  /** A Java kernel. */
  record JavaKernel(String opName, Runnable body) implements Kernel {
    @Override
    public void run() {
      body.run();
    }
  }

  /** Legacy (transform, scalar, pairwise, reduce, broadcast) ops called straight into native code. */
  static final class LegacyKernel implements Kernel {
    private enum Call { TRANSFORM_FLOAT, TRANSFORM_SAME, TRANSFORM_STRICT, TRANSFORM_ANY, TRANSFORM_BOOL, PAIRWISE,
      PAIRWISE_BOOL, SCALAR, SCALAR_BOOL, REDUCE_FLOAT, REDUCE_SAME, REDUCE_BOOL, REDUCE_LONG, REDUCE_FLOAT_DIMS,
      REDUCE_SAME_DIMS, REDUCE_BOOL_DIMS, REDUCE_LONG_DIMS, BROADCAST }

    private final String name;
    private final Call call;
    private final int opNum;
    private final OpaqueDataBuffer xb;
    private final LongPointer xs;
    private final OpaqueDataBuffer yb;
    private final LongPointer ys;
    private final OpaqueDataBuffer zb;
    private final LongPointer zs;
    private final Pointer extra;
    private final PointerPointer<?> extraPointers = new PointerPointer<>(32);
    private final Object[] keepAlive;

    private LegacyKernel(String name, Call call, int opNum, INDArray x, INDArray y, INDArray z, Pointer extra,
        Object... keepAlive) {
      this.name = name;
      this.call = call;
      this.opNum = opNum;
      this.xb = NativeAccess.opaque(x);
      this.xs = NativeAccess.shapeInfo(x);
      this.yb = y == null ? null : NativeAccess.opaque(y);
      this.ys = y == null ? null : NativeAccess.shapeInfo(y);
      this.zb = NativeAccess.opaque(z);
      this.zs = NativeAccess.shapeInfo(z);
      this.extra = extra;
      // the native handles above live only as long as these Java objects: keep them reachable
      this.keepAlive = new Object[] {x, y, z, keepAlive};
    }

    private static Op.Type typeOf(Op op) {
      if (op instanceof org.nd4j.linalg.api.ops.TransformOp t) {
        return t.getOpType();
      }
      if (op instanceof ScalarOp s) {
        return s.getOpType();
      }
      if (op instanceof ReduceOp r) {
        return r.getOpType();
      }
      return null;
    }

    private static Pointer extraArgs(Op op, DataType t) {
      if (op.extraArgs() == null) {
        return null;
      }
      DataBuffer b = op.extraArgsDataBuff(t);
      return b == null ? null : b.addressPointer();
    }

    /** A direct kernel, or null when this op kind is left to the executioner. */
    static Kernel create(Op op, INDArray[] in, INDArray z) {
      INDArray x = in[0];
      boolean hasY = in.length == 2 && !axisArg((DifferentialFunction) op, 2) && !(op instanceof ScalarOp);
      INDArray y = hasY ? in[1] : null;
      String name = op.opName();
      int num = op.opNum();
      Op.Type type = typeOf(op);
      if (type == null) {
        return null;
      }
      switch (type) {
        case TRANSFORM_FLOAT:
        case TRANSFORM_SAME:
        case TRANSFORM_STRICT:
        case TRANSFORM_ANY:
        case TRANSFORM_BOOL: {
          if (y != null) {
            if (type == Op.Type.TRANSFORM_BOOL || num == 31 && y.isScalar()) {
              return null;
            }
            return new LegacyKernel(name, Call.PAIRWISE, num, x, y, z, extraArgs(op, z.dataType()), op);
          }
          Call c = switch (type) {
            case TRANSFORM_FLOAT -> Call.TRANSFORM_FLOAT;
            case TRANSFORM_SAME -> Call.TRANSFORM_SAME;
            case TRANSFORM_STRICT -> Call.TRANSFORM_STRICT;
            case TRANSFORM_ANY -> Call.TRANSFORM_ANY;
            default -> Call.TRANSFORM_BOOL;
          };
          DataType et = c == Call.TRANSFORM_ANY || c == Call.TRANSFORM_BOOL ? x.dataType() : z.dataType();
          if (name.equalsIgnoreCase("ismax")) {
            return null;
          }
          return new LegacyKernel(name, c, num, x, null, z, extraArgs(op, et), op);
        }
        case PAIRWISE:
        case PAIRWISE_BOOL:
          if (y == null) {
            return null;
          }
          return new LegacyKernel(name, type == Op.Type.PAIRWISE ? Call.PAIRWISE : Call.PAIRWISE_BOOL, num, x,
              y, z, extraArgs(op, type == Op.Type.PAIRWISE ? z.dataType() : x.dataType()), op);
        case SCALAR:
        case SCALAR_BOOL: {
          ScalarOp s = (ScalarOp) op;
          if (s.dimensions() != null || s.scalar() == null) {
            return null;
          }
          INDArray sc = s.scalar();
          boolean bool = type == Op.Type.SCALAR_BOOL;
          return new LegacyKernel(name, bool ? Call.SCALAR_BOOL : Call.SCALAR, num, x, sc, z,
              extraArgs(op, bool ? x.dataType() : z.dataType()), op, sc);
        }
        case REDUCE_FLOAT:
        case REDUCE_SAME:
        case REDUCE_BOOL:
        case REDUCE_LONG: {
          BaseReduceOp r = (BaseReduceOp) op;
          if (r.isEmptyReduce() || x.isEmpty()) {
            return null;
          }
          int[] dims = Shape.normalizeAxis(x.rank(), r.dimensions() != null ? r.dimensions().toIntVector() : null);
          long[] ret = Shape.reductionShape(x, dims, true, r.isKeepDims());
          long prod = ret.length == 0 ? 1 : Arrays.stream(ret).reduce(1, (a, b) -> a * b);
          if (x.isVector() && x.length() == prod && prod > 1) {
            return null; // a copy (the executioner's no-op path)
          }
          boolean scalar = z.isScalar();
          DataType et = type == Op.Type.REDUCE_FLOAT ? z.dataType() : x.dataType();
          if (type == Op.Type.REDUCE_SAME) {
            et = z.dataType();
          }
          Call c = switch (type) {
            case REDUCE_FLOAT -> scalar ? Call.REDUCE_FLOAT : Call.REDUCE_FLOAT_DIMS;
            case REDUCE_SAME -> scalar ? Call.REDUCE_SAME : Call.REDUCE_SAME_DIMS;
            case REDUCE_BOOL -> scalar ? Call.REDUCE_BOOL : Call.REDUCE_BOOL_DIMS;
            default -> scalar ? Call.REDUCE_LONG : Call.REDUCE_LONG_DIMS;
          };
          INDArray dimArr = Nd4j.createFromArray(dims);
          return new LegacyKernel(name, c, num, x, scalar ? null : dimArr, z, extraArgs(op, et), op, dimArr);
        }
        default:
          return null;
      }
    }

    @Override
    public void run() {
      NativeOps n = NativeAccess.ops();
      switch (call) {
        case TRANSFORM_FLOAT -> n.execTransformFloat(extraPointers, opNum, xb, xs, null, zb, zs, null, extra);
        case TRANSFORM_SAME -> n.execTransformSame(extraPointers, opNum, xb, xs, null, zb, zs, null, extra);
        case TRANSFORM_STRICT -> n.execTransformStrict(extraPointers, opNum, xb, xs, null, zb, zs, null, extra);
        case TRANSFORM_ANY -> n.execTransformAny(extraPointers, opNum, xb, xs, null, zb, zs, null, extra);
        case TRANSFORM_BOOL -> n.execTransformBool(extraPointers, opNum, xb, xs, null, zb, zs, null, extra);
        case PAIRWISE -> n.execPairwiseTransform(extraPointers, opNum, xb, xs, null, yb, ys, null, zb, zs, null, extra);
        case PAIRWISE_BOOL -> n.execPairwiseTransformBool(extraPointers, opNum, xb, xs, null, yb, ys, null, zb, zs, null,
            extra);
        case SCALAR -> n.execScalar(null, opNum, xb, xs, null, zb, zs, null, yb, ys, null, extra);
        case SCALAR_BOOL -> n.execScalarBool(null, opNum, xb, xs, null, zb, zs, null, yb, ys, null, extra);
        case REDUCE_FLOAT -> n.execReduceFloat(null, opNum, xb, xs, null, extra, zb, zs, null);
        case REDUCE_SAME -> n.execReduceSame(null, opNum, xb, xs, null, extra, zb, zs, null);
        case REDUCE_BOOL -> n.execReduceBool(null, opNum, xb, xs, null, extra, zb, zs, null);
        case REDUCE_LONG -> n.execReduceLong(null, opNum, xb, xs, null, extra, zb, zs, null);
        case REDUCE_FLOAT_DIMS -> n.execReduceFloat2(null, opNum, xb, xs, null, extra, zb, zs, null, yb, ys, null);
        case REDUCE_SAME_DIMS -> n.execReduceSame2(null, opNum, xb, xs, null, extra, zb, zs, null, yb, ys, null);
        case REDUCE_BOOL_DIMS -> n.execReduceBool2(null, opNum, xb, xs, null, extra, zb, zs, null, yb, ys, null);
        case REDUCE_LONG_DIMS -> n.execReduceLong2(null, opNum, xb, xs, null, extra, zb, zs, null, yb, ys, null);
        default -> throw new IllegalStateException(call.toString());
      }
      if (n.lastErrorCode() != 0) {
        throw new IllegalStateException("op " + name + " failed in native code: " + n.lastErrorMessage());
      }
    }

    @Override
    public String opName() {
      return name;
    }

    @Override
    public String toString() {
      return name + " (" + call + ")";
    }
  }
}
