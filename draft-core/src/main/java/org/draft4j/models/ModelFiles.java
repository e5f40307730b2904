package org.draft4j.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.io.TensorStore;
import org.draft4j.nn.Parameters;

/** Reading and writing one model folder: {@code config.json} plus its weights. */
final class ModelFiles {
  private ModelFiles() {}

  /**
   * All tensors of a component folder's weights ({@link WeightFiles}' choice) as a strict store named
   * after the file; a NaN or infinite element is an error naming the file and the key (a tensor of the
   * wrong shape is refused naming both when the model is built over the store).
   */
  static Parameters readWeights(ModelFolder folder, WeightFiles.Naming naming, String variant) {
    return readWeights(folder, "", naming, variant);
  }

  /** As {@link #readWeights(ModelFolder, WeightFiles.Naming, String)} for the sub-folder {@code sub}. */
  static Parameters readWeights(ModelFolder folder, String sub, WeightFiles.Naming naming, String variant) {
    try (TensorStore f = WeightFiles.open(folder, sub, naming, variant)) {
      return Parameters.of(f.readAllFinite(), f.source());
    }
  }

  /** The parsed {@code config.json} of a folder. */
  static Map<String, Object> readConfig(Path dir) throws IOException {
    return ModelFolder.of(dir).readJson("config.json");
  }

  /** Writes {@code config.json} and the weights file {@code stem[.variant].safetensors} (atomically) into {@code dir}. */
  static void write(Path dir, Map<String, Object> config, String stem, Parameters params, WeightsFormat format)
      throws IOException {
    Files.createDirectories(dir);
    org.draft4j.io.AtomicFiles.writeString(dir.resolve("config.json"), Json.writePretty(config));
    Safetensors.write(dir.resolve(format.fileName(stem)), params.asMap(), Map.of("format", "pt"), format.dtype());
  }

  /**
   * The weights a graph built over {@link Parameters#shapesOnly} asks for, by name and shape, in
   * build order: every placeholder except the graph's {@code inputs}.
   */
  static Map<String, long[]> weightShapes(org.nd4j.autodiff.samediff.SameDiff sd, java.util.Set<String> inputs) {
    Map<String, long[]> m = new java.util.LinkedHashMap<>();
    for (org.nd4j.autodiff.samediff.SDVariable v : sd.variables()) {
      if (v.isPlaceHolder() && !inputs.contains(v.name())) {
        m.put(v.name(), v.getShape().clone());
      }
    }
    return java.util.Collections.unmodifiableMap(m);
  }
}
