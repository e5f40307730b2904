package org.draft4j.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reads little-endian float32 / int64 C-order NumPy {@code .npy} files (test data from diffusers). */
public final class Npy {
  private Npy() {}

  public static INDArray read(Path p) throws IOException {
    byte[] all = Files.readAllBytes(p);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int major = all[6];
    int hlen;
    int off;
    if (major == 1) {
      hlen = b.getShort(8) & 0xffff;
      off = 10;
    } else {
      hlen = b.getInt(8);
      off = 12;
    }
    String header = new String(all, off, hlen, StandardCharsets.ISO_8859_1);
    Matcher d = Pattern.compile("'descr':\\s*'([^']+)'").matcher(header);
    Matcher s = Pattern.compile("'shape':\\s*\\(([^)]*)\\)").matcher(header);
    if (!d.find() || !s.find() || header.contains("'fortran_order': True")) {
      throw new IOException(p + ": unsupported npy header " + header);
    }
    String[] dims = s.group(1).split(",");
    long[] shape = java.util.Arrays.stream(dims).map(String::trim).filter(x -> !x.isEmpty())
        .mapToLong(Long::parseLong).toArray();
    long n = 1;
    for (long x : shape) {
      n *= x;
    }
    ByteBuffer data = ByteBuffer.wrap(all, off + hlen, all.length - off - hlen).slice().order(ByteOrder.LITTLE_ENDIAN);
    float[] f = new float[(int) n];
    switch (d.group(1)) {
      case "<f4" -> data.asFloatBuffer().get(f);
      case "<f8" -> {
        for (int i = 0; i < n; i++) {
          f[i] = (float) data.getDouble(8 * i);
        }
      }
      case "<i8" -> {
        for (int i = 0; i < n; i++) {
          f[i] = data.getLong(8 * i);
        }
      }
      default -> throw new IOException(p + ": unsupported dtype " + d.group(1));
    }
    return shape.length == 0 ? Nd4j.scalar(f[0]) : Nd4j.create(f, shape, 'c');
  }
}
