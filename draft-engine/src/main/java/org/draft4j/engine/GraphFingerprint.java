package org.draft4j.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.ScalarOp;

/**
 * A SHA-256 of what a graph computes, independent of the names SameDiff gave its variables: every
 * op in creation order with its type, arguments (integer, floating, boolean, type, legacy scalar
 * and extra arguments) and the positions of its inputs, plus the type, shape and values of every
 * constant and variable it reads and the type and shape of its placeholders. Used to recognize a
 * configuration across JVM runs (a reward written as a lambda has no stable class name).
 */
public final class GraphFingerprint {
  private GraphFingerprint() {}

  /** Hex SHA-256 (first 32 characters). */
  public static String of(SameDiff sd) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Map<String, Integer> ids = new HashMap<>();
    for (SameDiffOp o : sd.getOps().values()) {
      DifferentialFunction f = o.getOp();
      put(md, "op " + f.opName());
      List<String> in = o.getInputsToOp() == null ? List.of() : o.getInputsToOp();
      for (String v : in) {
        Integer id = ids.get(v);
        if (id == null) {
          id = ids.size();
          ids.put(v, id);
          describeLeaf(md, sd, v);
        }
        put(md, " in" + id);
      }
      if (f instanceof DynamicCustomOp c) {
        put(md, " i" + Arrays.toString(c.iArgs()) + " t" + Arrays.toString(c.tArgs()) + " b"
            + Arrays.toString(c.bArgs()) + " d" + Arrays.toString(c.dArgs()));
      }
      if (f instanceof Op legacy) {
        put(md, " n" + legacy.opNum() + " x" + Arrays.toString(legacy.extraArgs()));
        if (f instanceof ScalarOp s && s.scalar() != null) {
          put(md, " s" + s.scalar().getDouble(0));
        }
        if (f.getDimensions() != null) {
          put(md, " dims" + Arrays.toString(f.getDimensions()));
        }
      }
      List<String> out = o.getOutputsOfOp() == null ? List.of() : o.getOutputsOfOp();
      for (String v : out) {
        ids.put(v, ids.size());
      }
      put(md, " out" + out.size() + "\n");
    }
    StringBuilder hex = new StringBuilder();
    for (byte b : md.digest()) {
      hex.append(String.format("%02x", b));
    }
    return hex.substring(0, 32);
  }

  private static void describeLeaf(MessageDigest md, SameDiff sd, String name) {
    SDVariable v = sd.getVariable(name);
    if (v == null) {
      return;
    }
    put(md, " [" + v.getVariableType() + " " + v.dataType() + " " + Arrays.toString(v.getShape()));
    INDArray a = v.isPlaceHolder() ? null : sd.getArrForVarName(name);
    if (a != null) {
      put(md, " " + Arrays.toString(a.shape()));
      INDArray c = a.dup('c');
      ByteBuffer bytes = c.data().asNio();
      bytes.limit((int) Math.min(bytes.capacity(), c.length() * c.dataType().width()));
      md.update(bytes);
    }
    put(md, "]");
  }

  private static void put(MessageDigest md, String s) {
    md.update(s.getBytes(StandardCharsets.UTF_8));
  }
}
