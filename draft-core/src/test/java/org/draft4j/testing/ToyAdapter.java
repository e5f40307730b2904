package org.draft4j.testing;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.draft4j.io.Safetensors;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Layer;
import org.draft4j.spi.Adapter;
import org.draft4j.spi.AdapterFormat;
import org.draft4j.spi.AdapterSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The smallest trainable adapter, for tests that must not depend on draft-lora: a full-rank delta
 * {@code Δ = s·x·Wᵀ} on every attention query and value projection, W {@code [out, in]} starting at
 * zero (the adapted model starts as the base model), s its scale (0 when adapters are off).
 * {@link #spec()} is its {@link AdapterSpec}; {@link #FORMAT} its one file layout.
 */
public final class ToyAdapter implements Adapter {
  /** The only format: a safetensors file of the W matrices under their graph names. */
  public static final AdapterFormat FORMAT = () -> "toy";
  private final Map<String, INDArray> weights = new LinkedHashMap<>();
  private double scale = 1;

  /** A spec creating a fresh toy adapter (zero weights: the seed has nothing to draw). */
  public static AdapterSpec spec() {
    return seed -> new ToyAdapter();
  }

  @Override
  public boolean appliesTo(Layer layer) {
    return layer.kind() == Layer.Kind.LINEAR && (layer.module().endsWith("to_q") || layer.module().endsWith("to_v"));
  }

  @Override
  public SDVariable delta(SameDiff sd, Layer layer, SDVariable input, GraphBuilder.ConvGeometry geometry) {
    String name = "toy." + layer.module() + ".weight";
    INDArray w = weights.computeIfAbsent(name, k -> Nd4j.zeros(DataType.FLOAT, layer.out(), layer.in()));
    SDVariable wv = sd.hasVariable(name) ? sd.getVariable(name) : sd.var(name, w);
    SDVariable s = sd.hasVariable("toy.scale") ? sd.getVariable("toy.scale") : sd.placeHolder("toy.scale",
        DataType.FLOAT, 1);
    return sd.mmul(input, wv, false, true, false).mul(s);
  }

  @Override
  public Map<String, INDArray> trainableParameters() {
    return new LinkedHashMap<>(weights);
  }

  @Override
  public Map<String, INDArray> feeds(boolean enabled) {
    return Map.of("toy.scale", Nd4j.createFromArray(new float[] {enabled ? (float) scale : 0f}));
  }

  @Override
  public String name() {
    return "toy";
  }

  @Override
  public double scale() {
    return scale;
  }

  @Override
  public void setScale(double scale) {
    this.scale = scale;
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("adapter", "toy");
    c.put("targets", "to_q,to_v");
    return c;
  }

  @Override
  public void save(Path path, AdapterFormat format, Map<String, String> provenance) {
    Safetensors.write(path, weights, provenance);
  }
}
