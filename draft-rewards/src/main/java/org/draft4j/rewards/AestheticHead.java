package org.draft4j.rewards;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.draft4j.io.TensorStore;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The LAION improved aesthetic predictor's MLP, with its layer names: {@code layers.0} Linear(d, 1024),
 * dropout, {@code layers.2} Linear(1024, 128), dropout, {@code layers.4} Linear(128, 64), dropout,
 * {@code layers.6} Linear(64, 16), {@code layers.7} Linear(16, 1); no nonlinearities (dropouts are
 * identity at inference). Input: the L2-normalized CLIP image embedding, as LAION's
 * {@code simple_inference.py} feeds it. LAION publishes it as {@code torch.save(model.state_dict())}
 * ({@code sac+logos+ava1-l14-linearMSE.pth}, input 768 for CLIP ViT-L/14), read as is by {@link #load(Path)}.
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
    SameDiff sd = org.draft4j.engine.Graphs.create();
    forward(new GraphBuilder(sd, params, List.of()), sd.placeHolder("e", DataType.FLOAT, -1, inputDim));
    params.requireAllUsed();
  }

  /**
   * Loads the MLP from a weights file in any format {@link TensorStore#open} reads (LAION's .pth,
   * safetensors), its input size from {@code layers.0.weight [1024, d]}; missing, misshapen or
   * extra keys are refused naming the file and the key.
   */
  public static AestheticHead load(Path file) {
    try (TensorStore f = TensorStore.open(file)) {
      String k = "layers." + LAYERS[0] + ".weight";
      checkArgument(f.contains(k), "%s: no \"%s\"; not LAION's aesthetic MLP (keys: %s)", f.source(), k,
          f.keys().stream().limit(5).toList());
      long[] s = f.shape(k);
      checkArgument(s.length == 2 && s[0] == WIDTHS[0] && s[1] >= 1, "%s: \"%s\" has shape %s, expected [%s, d]",
          f.source(), k, Arrays.toString(s), WIDTHS[0]);
      return new AestheticHead(Parameters.of(f.readAll(), f.source()), (int) s[1]);
    }
  }

  /** {@link #load(Path)}, refusing a head whose input size is not {@code inputDim} (naming both). */
  public static AestheticHead load(Path file, int inputDim) {
    AestheticHead h = load(file);
    checkArgument(h.inputDim() == inputDim, "%s: the aesthetic head takes %s-dimensional embeddings, expected %s",
        file, h.inputDim(), inputDim);
    return h;
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
