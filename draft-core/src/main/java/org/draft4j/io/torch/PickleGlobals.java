package org.draft4j.io.torch;

import com.google.common.collect.ImmutableMap;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.draft4j.io.SafetensorsDType;
import org.draft4j.io.TensorDecoding;

/**
 * The allow-list of Python globals a torch file may name, each mapped to a pure Java data
 * constructor. No reflection, no class loading, nothing executable: a global not listed here is
 * refused by the unpickler naming it. Where each entry comes from:
 * <ul>
 *   <li>tensors: {@code torch._utils._rebuild_tensor_v2} (torch ≥ 0.4, both formats), {@code _rebuild_tensor}
 *       (older legacy files), {@code _rebuild_parameter} ({@code nn.Parameter.__reduce_ex__}, torch 1.x–2.x),
 *       {@code _rebuild_parameter_with_state} (torch 2.x, a Parameter with attributes);
 *   <li>storages {@code torch.{Float,Half,BFloat16,Double,Long,Int,Short,Char,Byte,Bool}Storage}: the
 *       {@code storage_type} of every persistent id ({@code torch/serialization.py});
 *   <li>containers: {@code collections.OrderedDict} ({@code state_dict()}), {@code __builtin__.set} /
 *       {@code builtins.set} (protocol 2 writes sets by REDUCE), {@code torch.Size}
 *       ({@code torch/_weights_only_unpickler.py});
 *   <li>inert data that AUTOMATIC1111's {@code modules/safe.py} allows because real SD {@code .ckpt} files
 *       hold it: {@code numpy.core.multiarray.scalar} (decoded to a Long/Double/Boolean when the dtype is
 *       a plain little-endian number), {@code numpy.dtype}, {@code numpy.core.multiarray._reconstruct},
 *       {@code numpy.ndarray}, {@code _codecs.encode} (protocol 2's bytes; latin-1 only),
 *       {@code pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint} and its module,
 *       {@code torch.nn.modules.container.ParameterDict}, dtype names such as {@code torch.float32}
 *       (also from {@code torch/_weights_only_unpickler.py}); the {@code numpy._core} spellings of the
 *       numpy names are numpy 2's. Instances of these classes become {@link PickledObject}s.
 * </ul>
 */
final class PickleGlobals {
  private PickleGlobals() {}

  /** What a global does when the pickle calls it (REDUCE or NEWOBJ), or that it is only a value. */
  enum Kind {
    REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE, ORDERED_DICT, STORAGE_TYPE,
    SIZE, SET, CODECS_ENCODE, NUMPY_SCALAR, INERT_CLASS, VALUE
  }

  static final Map<String, SafetensorsDType> STORAGE_TYPES = ImmutableMap.<String, SafetensorsDType>builder()
      .put("torch.FloatStorage", SafetensorsDType.F32).put("torch.HalfStorage", SafetensorsDType.F16)
      .put("torch.BFloat16Storage", SafetensorsDType.BF16).put("torch.DoubleStorage", SafetensorsDType.F64)
      .put("torch.LongStorage", SafetensorsDType.I64).put("torch.IntStorage", SafetensorsDType.I32)
      .put("torch.ShortStorage", SafetensorsDType.I16).put("torch.CharStorage", SafetensorsDType.I8)
      .put("torch.ByteStorage", SafetensorsDType.U8).put("torch.BoolStorage", SafetensorsDType.BOOL).build();

  static final Map<String, Kind> ALLOWED = allowed();

  private static Map<String, Kind> allowed() {
    ImmutableMap.Builder<String, Kind> b = ImmutableMap.builder();
    b.put("torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2);
    b.put("torch._utils._rebuild_tensor", Kind.REBUILD_TENSOR);
    b.put("torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER);
    b.put("torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE);
    for (String s : STORAGE_TYPES.keySet()) {
      b.put(s, Kind.STORAGE_TYPE);
    }
    b.put("collections.OrderedDict", Kind.ORDERED_DICT);
    b.put("__builtin__.set", Kind.SET);
    b.put("builtins.set", Kind.SET);
    b.put("torch.Size", Kind.SIZE);
    b.put("_codecs.encode", Kind.CODECS_ENCODE);
    for (String np : List.of("numpy.core", "numpy._core")) {
      b.put(np + ".multiarray.scalar", Kind.NUMPY_SCALAR);
      b.put(np + ".multiarray._reconstruct", Kind.INERT_CLASS);
    }
    b.put("numpy.dtype", Kind.INERT_CLASS);
    b.put("numpy.ndarray", Kind.INERT_CLASS);
    b.put("pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint", Kind.INERT_CLASS);
    b.put("pytorch_lightning.callbacks.model_checkpoint", Kind.VALUE);
    b.put("torch.nn.modules.container.ParameterDict", Kind.INERT_CLASS);
    for (String t : List.of("float16", "float32", "float64", "int8", "int16", "int32", "int64")) {
      b.put("torch." + t, Kind.VALUE);
    }
    return b.build();
  }

  /** Whether the unpickler may push this global. */
  static boolean isAllowed(String qualifiedName) {
    return ALLOWED.containsKey(qualifiedName);
  }

  /** The result of calling {@code g} with {@code args} (REDUCE, or NEWOBJ for classes). */
  static Object call(PickledGlobal g, List<Object> args, RestrictedUnpickler u) {
    String q = g.qualifiedName();
    Kind kind = ALLOWED.get(q);
    if (kind == null) {
      throw u.refuse("global " + q + " is not on the allow-list");
    }
    return switch (kind) {
      case REBUILD_TENSOR_V2 -> {
        if (args.size() != 6 && args.size() != 7) {
          throw u.fail(q + " takes 6 or 7 arguments (storage, offset, size, stride, requires_grad, hooks[, metadata]),"
              + " got " + args.size());
        }
        yield tensor(q, args, bool(q, "requires_grad", args.get(4), u), u);
      }
      case REBUILD_TENSOR -> {
        if (args.size() != 4) {
          throw u.fail(q + " takes 4 arguments (storage, offset, size, stride), got " + args.size());
        }
        yield tensor(q, args, false, u);
      }
      case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
        int n = kind == Kind.REBUILD_PARAMETER ? 3 : 4;
        if (args.size() != n) {
          throw u.fail(q + " takes " + n + " arguments (data, requires_grad, hooks" + (n == 4 ? ", state" : "")
              + "), got " + args.size());
        }
        if (!(args.get(0) instanceof TorchTensor t)) {
          throw u.fail(q + ": data is " + RestrictedUnpickler.kind(args.get(0)) + ", expected a tensor");
        }
        yield t.asParameter(bool(q, "requires_grad", args.get(1), u));
      }
      case ORDERED_DICT -> orderedDict(q, args, u);
      case SET -> {
        PySet s = new PySet();
        if (args.size() > 1 || (args.size() == 1 && !(args.get(0) instanceof List<?>))) {
          throw u.fail(q + " takes no argument or one list, got " + describe(args));
        }
        if (args.size() == 1) {
          for (Object o : (List<?>) args.get(0)) {
            u.checkHashable(o, "set element");
            s.add0(o);
          }
        }
        yield s;
      }
      case SIZE -> {
        if (args.size() != 1 || !(args.get(0) instanceof List<?> dims)) {
          throw u.fail(q + " takes one tuple of ints, got " + describe(args));
        }
        for (Object d : dims) {
          if (!(d instanceof Long)) {
            throw u.fail(q + ": dimension is " + RestrictedUnpickler.kind(d) + ", expected an int");
          }
        }
        yield List.copyOf(dims);
      }
      case CODECS_ENCODE -> encode(q, args, u);
      case NUMPY_SCALAR -> numpyScalar(q, args);
      case INERT_CLASS -> new PickledObject(q, args);
      case STORAGE_TYPE, VALUE -> throw u.refuse("global " + q + " is allowed as a value only; calling it is refused");
    };
  }

  private static PyDict orderedDict(String q, List<Object> args, RestrictedUnpickler u) {
    PyDict d = new PyDict(true);
    if (args.isEmpty()) {
      return d;
    }
    if (args.size() != 1 || !(args.get(0) instanceof List<?> pairs)) {
      throw u.fail(q + " takes no argument or one list of pairs, got " + describe(args));
    }
    for (Object p : pairs) {
      if (!(p instanceof List<?> kv) || kv.size() != 2) {
        throw u.fail(q + ": item is " + RestrictedUnpickler.kind(p) + ", expected a (key, value) pair");
      }
      u.checkHashable(kv.get(0), "dict key");
      d.set(kv.get(0), kv.get(1));
    }
    return d;
  }

  private static boolean bool(String q, String what, Object o, RestrictedUnpickler u) {
    if (!(o instanceof Boolean b)) {
      throw u.fail(q + ": " + what + " is " + RestrictedUnpickler.kind(o) + ", expected a bool");
    }
    return b;
  }

  private static TorchTensor tensor(String q, List<Object> a, boolean grad, RestrictedUnpickler u) {
    if (!(a.get(0) instanceof TorchStorage s)) {
      throw u.fail(q + ": storage is " + RestrictedUnpickler.kind(a.get(0)) + ", expected a storage persistent id");
    }
    if (!(a.get(1) instanceof Long off) || off < 0) {
      throw u.fail(q + ": storage_offset is " + describe(a.get(1)) + ", expected a non-negative int");
    }
    long[] size = longs(q, "size", a.get(2), u);
    long[] stride = longs(q, "stride", a.get(3), u);
    if (size.length != stride.length) {
      throw u.fail(q + ": size has " + size.length + " dimensions but stride has " + stride.length);
    }
    return new TorchTensor(s, off, size, stride, grad, false);
  }

  private static long[] longs(String q, String what, Object o, RestrictedUnpickler u) {
    if (!(o instanceof List<?> l)) {
      throw u.fail(q + ": " + what + " is " + RestrictedUnpickler.kind(o) + ", expected a tuple of ints");
    }
    long[] r = new long[l.size()];
    for (int i = 0; i < r.length; i++) {
      if (!(l.get(i) instanceof Long v) || v < 0) {
        throw u.fail(q + ": " + what + "[" + i + "] is " + describe(l.get(i)) + ", expected a non-negative int");
      }
      r[i] = v;
    }
    return r;
  }

  /** {@code _codecs.encode(text, "latin1")}: how protocol 2 writes Python 3 bytes. */
  private static byte[] encode(String q, List<Object> a, RestrictedUnpickler u) {
    if (a.size() != 2 || !(a.get(0) instanceof String text) || !(a.get(1) instanceof String enc)) {
      throw u.fail(q + " takes (str, encoding), got " + describe(a));
    }
    if (!enc.equals("latin1") && !enc.equals("latin-1")) {
      throw u.refuse(q + ": encoding \"" + enc + "\" is refused; pickles write bytes as latin1");
    }
    byte[] out = new byte[text.length()];
    for (int i = 0; i < out.length; i++) {
      char c = text.charAt(i);
      if (c > 0xff) {
        throw u.fail(q + ": character U+" + Integer.toHexString(c) + " at " + i + " is not latin-1");
      }
      out[i] = (byte) c;
    }
    return out;
  }

  /**
   * {@code numpy.core.multiarray.scalar(dtype, bytes)}: a Long, Double or Boolean when the dtype is a
   * little-endian bool, int, uint or float of 1 to 8 bytes; otherwise kept as an inert object.
   */
  private static Object numpyScalar(String q, List<Object> a) {
    PickledObject opaque = new PickledObject(q, a);
    if (a.size() != 2 || !(a.get(0) instanceof PickledObject dt) || !dt.className().equals("numpy.dtype")
        || dt.args().isEmpty() || !(dt.args().get(0) instanceof String code) || code.length() != 2
        || !(a.get(1) instanceof byte[] raw)) {
      return opaque;
    }
    if (dt.state() instanceof List<?> st && st.size() > 1 && !"<".equals(st.get(1)) && !"|".equals(st.get(1))) {
      return opaque; // big-endian or unknown byte order
    }
    char k = code.charAt(0);
    int n = code.charAt(1) - '0';
    if (raw.length != n || (n != 1 && n != 2 && n != 4 && n != 8)) {
      return opaque;
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    long signed = switch (n) {
      case 1 -> b.get(0);
      case 2 -> b.getShort(0);
      case 4 -> b.getInt(0);
      default -> b.getLong(0);
    };
    return switch (k) {
      case 'b' -> n == 1 ? (Object) (raw[0] != 0) : opaque;
      case 'i' -> signed;
      case 'u' -> n == 8 ? (signed >= 0 ? (Object) signed : new BigInteger(Long.toUnsignedString(signed)))
          : (Object) (signed & ((1L << (8 * n)) - 1));
      case 'f' -> switch (n) {
        case 2 -> (double) TensorDecoding.halfToFloat((short) signed);
        case 4 -> (double) Float.intBitsToFloat((int) signed);
        case 8 -> Double.longBitsToDouble(signed);
        default -> opaque;
      };
      default -> opaque;
    };
  }

  private static String describe(Object o) {
    return RestrictedUnpickler.describe(o);
  }
}
