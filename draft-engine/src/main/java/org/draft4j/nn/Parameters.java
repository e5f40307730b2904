package org.draft4j.nn;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Named weights of a model, in the reference implementation's naming. A store is either
 * <em>initializing</em> (a missing key is created with the requested initializer, seeded by the
 * store seed and the key, so the result does not depend on build order) or <em>strict</em> (a missing
 * key is an error naming it). {@link #unused()} lists keys no layer asked for, so loading a file
 * with extra tensors can be refused.
 */
public final class Parameters {
  /** How a missing parameter is initialized. */
  public enum Init {
    /** PyTorch's default for Linear/Conv weights and biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    UNIFORM_FAN_IN,
    /** Zeros. */
    ZEROS,
    /** Ones. */
    ONES,
    /** N(0, 0.02²), as CLIP's embeddings and projections. */
    NORMAL_002
  }

  private final Map<String, INDArray> arrays = new LinkedHashMap<>();
  private final Set<String> used = new LinkedHashSet<>();
  private final boolean initializing;
  private final long seed;
  private final String source;
  private final DataType type;

  private final boolean shapesOnly;

  private Parameters(boolean initializing, long seed, String source, DataType type) {
    this(initializing, seed, source, type, false);
  }

  private Parameters(boolean initializing, long seed, String source, DataType type, boolean shapesOnly) {
    this.shapesOnly = shapesOnly;
    this.initializing = initializing;
    this.seed = seed;
    this.source = source;
    this.type = type;
  }

  static {
    org.draft4j.engine.memory.NativeHeap.configure();
  }

  /** A store that creates missing float32 parameters, seeded. */
  public static Parameters random(long seed) {
    return random(seed, DataType.FLOAT);
  }

  /** A store that creates missing parameters of the given type (DOUBLE for gradient checks), seeded. */
  public static Parameters random(long seed, DataType type) {
    return new Parameters(true, seed, "random init (seed " + seed + ")", type);
  }

  /**
   * A store without arrays, for building a graph only to learn its structure (which layers a model
   * config has, and their sizes: {@link GraphBuilder} turns every weight into a placeholder of its
   * shape). Such a graph cannot run; nothing is allocated.
   */
  public static Parameters shapesOnly(String source) {
    return new Parameters(false, 0, source + " (shapes only)", DataType.FLOAT, true);
  }

  /** Whether this store is {@link #shapesOnly}. */
  public boolean isShapesOnly() {
    return shapesOnly;
  }

  /** A strict store over given arrays; {@code source} names them in errors (a file path). */
  public static Parameters of(Map<String, INDArray> arrays, String source) {
    Parameters p = new Parameters(false, 0, source, DataType.FLOAT);
    p.arrays.putAll(arrays);
    return p;
  }

  /**
   * The parameter {@code name} with the given shape. A stored array of another shape is an error
   * naming both shapes; a missing one is created ({@code initializing}) or an error.
   */
  public INDArray get(String name, long[] shape, Init init, long fanIn) {
    INDArray a = arrays.get(name);
    if (a == null) {
      if (!initializing) {
        throw new IllegalArgumentException(source + ": missing parameter \"" + name + "\" of shape "
            + Arrays.toString(shape));
      }
      a = create(name, shape, init, fanIn);
      arrays.put(name, a);
    } else if (!Arrays.equals(a.shape(), shape)) {
      throw new IllegalArgumentException(source + ": parameter \"" + name + "\" has shape "
          + Arrays.toString(a.shape()) + ", the model config needs " + Arrays.toString(shape));
    }
    used.add(name);
    return a;
  }

  private INDArray create(String name, long[] shape, Init init, long fanIn) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    checkArgument(n <= Integer.MAX_VALUE, "parameter %s too large", name);
    switch (init) {
      case ZEROS:
        return Nd4j.zeros(type, shape);
      case ONES:
        return Nd4j.ones(type, shape);
      default:
        break;
    }
    // values are those of new java.util.Random(seed * φ + hash(name)), generated in chunks straight
    // into native memory (no heap copy of the whole tensor)
    JavaRandom r = new JavaRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
    INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
    java.nio.FloatBuffer out = a.data().asNioFloat();
    float[] chunk = new float[(int) Math.min(n, 1 << 16)];
    double bound = 1.0 / Math.sqrt(Math.max(1, fanIn));
    for (int start = 0; start < n; start += chunk.length) {
      int len = (int) Math.min(chunk.length, n - start);
      if (init == Init.UNIFORM_FAN_IN) {
        r.fillUniform(chunk, len, bound);
      } else {
        for (int i = 0; i < len; i++) {
          chunk[i] = (float) (r.nextGaussian() * 0.02);
        }
      }
      out.put(start, chunk, 0, len);
    }
    return type == DataType.FLOAT ? a : a.castTo(type);
  }

  /** Keys present in the store that no layer has asked for. */
  public Set<String> unused() {
    Set<String> s = new LinkedHashSet<>(arrays.keySet());
    s.removeAll(used);
    return s;
  }

  /**
   * Refuses keys no layer asked for (a file for another config or model), naming the first and how
   * many there are; keys ending in one of {@code ignoredSuffixes} (buffers such as HF's
   * {@code position_ids}) are allowed.
   */
  public void requireAllUsed(String... ignoredSuffixes) {
    java.util.List<String> extra = unused().stream()
        .filter(k -> java.util.Arrays.stream(ignoredSuffixes).noneMatch(k::endsWith)).toList();
    if (!extra.isEmpty()) {
      throw new IllegalArgumentException(source + ": unexpected parameter \"" + extra.get(0) + "\" (" + extra.size()
          + " keys unused by this config)");
    }
  }

  /** All arrays, by name (live: changes to arrays change the model). */
  public Map<String, INDArray> asMap() {
    return Collections.unmodifiableMap(arrays);
  }

  /** The stored array of a name, or an error naming it. */
  public INDArray get(String name) {
    INDArray a = arrays.get(name);
    checkArgument(a != null, "%s: no parameter \"%s\"", source, name);
    return a;
  }

  /** Total number of scalar parameters. */
  public long count() {
    return arrays.values().stream().mapToLong(INDArray::length).sum();
  }

  /** Where the arrays came from. */
  public String source() {
    return source;
  }
}
