package org.draft4j.io;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Named tensors read one at a time from a weights file: a safetensors file ({@link SafetensorsFile}),
 * a sharded set behind a Hugging Face index ({@link ShardedWeights}), or a PyTorch {@code torch.save} file. Each {@link #get} reads only that
 * tensor's bytes, with positional reads straight into the array, so multi-GB files are never held
 * twice (nor counted twice in resident memory, as memory-mapped pages would be).
 * The element type on disk is kept in {@link #dtype}; {@link #get} widens F16/BF16/integers to float32.
 * Errors name {@link #source()} and the key.
 */
public interface TensorStore extends AutoCloseable {
  /** Where the tensors come from (a path), as named in error messages. */
  String source();

  /** Tensor keys, in the file's order. */
  Set<String> keys();

  /** Whether a tensor of that key is present. */
  default boolean contains(String key) {
    return keys().contains(key);
  }

  /** The element type of {@code key} on disk; a missing key is an error naming the source and the key. */
  SafetensorsDType dtype(String key);

  /** The shape of {@code key} (empty for a scalar); a missing key is an error naming the source and the key. */
  long[] shape(String key);

  /** The tensor {@code key} as float32. */
  default INDArray get(String key) {
    return get(key, DataType.FLOAT);
  }

  /** The tensor {@code key} converted to {@code FLOAT} or {@code DOUBLE}. */
  INDArray get(String key, DataType type);

  /** Every tensor as float32, in key order (for small files; large models read key by key). */
  default Map<String, INDArray> readAll() {
    Map<String, INDArray> m = new LinkedHashMap<>();
    for (String k : keys()) {
      m.put(k, get(k));
    }
    return m;
  }

  /**
   * The file that holds {@code key}, as named in error messages: {@link #source()}, or for a sharded
   * store the shard's path.
   */
  default String source(String key) {
    return source();
  }

  /**
   * As {@link #readAll()}, refusing weights a model cannot use: a tensor with a NaN or ±∞ element is
   * an error naming the file that holds it and the key (one extra pass over each tensor, no copies).
   */
  default Map<String, INDArray> readAllFinite() {
    Map<String, INDArray> m = new LinkedHashMap<>();
    for (String k : keys()) {
      m.put(k, requireFinite(source(k), k, get(k)));
    }
    return m;
  }

  /**
   * Returns {@code a} when every element is finite; otherwise throws {@link SafetensorsException}
   * naming {@code source} and {@code key}, with the number of NaN and infinite elements and the first
   * one's flat index.
   */
  static INDArray requireFinite(String source, String key, INDArray a) {
    if (org.draft4j.engine.HostFloats.allFinite(a)) {
      return a;
    }
    double[] v = a.dup('c').data().asDouble(); // the error path only
    long nan = 0;
    long inf = 0;
    long first = -1;
    for (int i = 0; i < v.length; i++) {
      if (Double.isNaN(v[i])) {
        nan++;
      } else if (Double.isInfinite(v[i])) {
        inf++;
      } else {
        continue;
      }
      if (first < 0) {
        first = i;
      }
    }
    throw new SafetensorsException(source + ": tensor \"" + key + "\" (shape " + java.util.Arrays.toString(a.shape())
        + ") holds " + nan + " NaN and " + inf + " infinite values (first at flat index " + first
        + "); weights must be finite");
  }

  /** Releases the file handles; arrays already returned stay valid. */
  @Override
  void close();

  /**
   * Opens a weights file by its content, whatever its name: safetensors (an 8-byte header length
   * then JSON), a Hugging Face shard index ({@code *.safetensors.index.json}, {@code pytorch_model.bin.index.json}), or a PyTorch {@code torch.save} file
   * (zip format of torch ≥ 1.6, or the legacy pickle format). Unknown content is refused naming the
   * file and the formats allowed.
   */
  static TensorStore open(Path file) {
    return WeightFormats.open(file);
  }
}
