package org.draft4j.rewards;

import java.nio.file.Path;
import java.util.List;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The LAION improved aesthetic predictor's MLP, with its layer names: {@code layers.0} Linear(d, 1024),
 * dropout, {@code layers.2} Linear(1024, 128), dropout, {@code layers.4} Linear(128, 64), dropout,
 * {@code layers.6} Linear(64, 16), {@code layers.7} Linear(16, 1); no nonlinearities (dropouts are
 * identity at inference). Input: the L2-normalized CLIP image embedding.
 */
public final class AestheticHead {
  static final int[] WIDTHS = {1024, 128, 64, 16, 1};
  static final int[] LAYERS = {0, 2, 4, 6, 7};
  private final Parameters params;
  private final int inputDim;

  /** A head over given weights; missing or misshapen keys fail naming the key. */
  public AestheticHead(Parameters params, int inputDim) {
    this.params = params;
    this.inputDim = inputDim;
    SameDiff sd = org.draft4j.exec.Graphs.create();
    forward(new GraphBuilder(sd, params, List.of()), sd.placeHolder("e", DataType.FLOAT, -1, inputDim));
    params.requireAllUsed();
  }

  /** Loads the MLP's safetensors (converted from LAION's .pth with the same keys). */
  public static AestheticHead load(Path file, int inputDim) {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      return new AestheticHead(Parameters.of(f.readAll(), file.toString()), inputDim);
    }
  }

  public Parameters parameters() {
    return params;
  }

  public int inputDim() {
    return inputDim;
  }

  /** {@code [B, d]} normalized embeddings to {@code [B]} scores. */
  public SDVariable forward(GraphBuilder g, SDVariable embedding) {
    SDVariable x = embedding;
    long in = inputDim;
    for (int i = 0; i < LAYERS.length; i++) {
      x = g.linear("layers." + LAYERS[i], x, in, WIDTHS[i], true);
      in = WIDTHS[i];
    }
    return x.reshape(-1);
  }
}
