package org.draft4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A set of weight shards behind a Hugging Face index ({@code *.safetensors.index.json} or
 * {@code pytorch_model.bin.index.json}: {@code {"metadata": {...}, "weight_map": {"key": "shard file"}}}),
 * read as one store; each shard is opened by its content ({@link TensorStore#open}). Every shard
 * named by the index is opened and validated up front, so a missing shard, a key the index places
 * in a shard that lacks it, or a shard holding keys the index does not list fails on open, naming
 * the index, the shard and the key.
 */
public final class ShardedWeights implements TensorStore {
  private final String source;
  private final Map<String, TensorStore> byKey;
  private final List<TensorStore> shards;

  private ShardedWeights(String source, Map<String, TensorStore> byKey, List<TensorStore> shards) {
    this.source = source;
    this.byKey = byKey;
    this.shards = shards;
  }

  /** Opens the index and every shard it names (shard paths are relative to the index's folder). */
  public static ShardedWeights open(Path index) {
    Map<String, Object> json;
    try {
      json = Json.parseObject(Files.readString(index));
    } catch (IOException e) {
      throw new SafetensorsException(index + ": cannot read (" + e + ")", e);
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException(index + ": not a valid shard index (" + e.getMessage() + ")", e);
    }
    if (!(json.get("weight_map") instanceof Map<?, ?> map) || map.isEmpty()) {
      throw new SafetensorsException(index + ": a shard index needs a non-empty \"weight_map\" object of "
          + "tensor key -> shard file");
    }
    Path dir = index.toAbsolutePath().getParent();
    Map<String, TensorStore> files = new LinkedHashMap<>();
    Map<String, TensorStore> byKey = new LinkedHashMap<>();
    try {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        if (!(e.getValue() instanceof String shard) || shard.contains("/") || shard.contains("\\")) {
          throw new SafetensorsException(index + ": weight_map[\"" + key + "\"] = " + e.getValue()
              + " is not a shard file name in the index's folder");
        }
        TensorStore f = files.get(shard);
        if (f == null) {
          Path p = dir.resolve(shard);
          if (!Files.isRegularFile(p)) {
            throw new SafetensorsException(index + ": weight_map[\"" + key + "\"] names shard " + shard
                + ", which is missing from " + dir);
          }
          f = WeightFormats.openShard(p);
          files.put(shard, f);
        }
        if (!f.contains(key)) {
          throw new SafetensorsException(index + ": weight_map places \"" + key + "\" in " + f.source()
              + ", which does not hold it");
        }
        byKey.put(key, f);
      }
      for (TensorStore f : files.values()) {
        for (String k : f.keys()) {
          if (byKey.get(k) != f) {
            throw new SafetensorsException(index + ": shard " + f.source() + " holds \"" + k + "\", which "
                + (byKey.containsKey(k) ? "the index places in another shard" : "the index does not list"));
          }
        }
      }
    } catch (RuntimeException e) {
      files.values().forEach(TensorStore::close);
      throw e;
    }
    return new ShardedWeights(index.toString(), Collections.unmodifiableMap(byKey),
        List.copyOf(new ArrayList<>(files.values())));
  }

  private TensorStore shard(String key) {
    TensorStore f = byKey.get(key);
    if (f == null) {
      throw new SafetensorsException(source + ": missing tensor \"" + key + "\" (" + byKey.size()
          + " tensors in " + shards.size() + " shards)");
    }
    return f;
  }

  @Override
  public String source() {
    return source;
  }

  @Override
  public String source(String key) {
    return shard(key).source();
  }

  @Override
  public Set<String> keys() {
    return byKey.keySet();
  }

  @Override
  public SafetensorsDType dtype(String key) {
    return shard(key).dtype(key);
  }

  @Override
  public long[] shape(String key) {
    return shard(key).shape(key);
  }

  @Override
  public INDArray get(String key, DataType type) {
    return shard(key).get(key, type);
  }

  /** The shard files, in the order the index first names them. */
  public List<String> shardFiles() {
    List<String> names = new ArrayList<>();
    shards.forEach(s -> names.add(s.source()));
    return names;
  }


  @Override
  public void close() {
    shards.forEach(TensorStore::close);
  }
}
