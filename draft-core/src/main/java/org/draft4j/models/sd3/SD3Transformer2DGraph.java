package org.draft4j.models.sd3;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.GraphRunner;
import org.draft4j.engine.Graphs;
import org.draft4j.nn.GraphBuilder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An {@link SD3Transformer2DModel}'s forward pass compiled for one latent size and text length,
 * run in an explicit {@link ExecutionContext}: {@link #predict} gives the model output and
 * {@link #vjp} the vector-Jacobian product {@code uᵀ·∂out/∂hidden_states} (the loss
 * {@code Σ out ⊙ u}). The latents enter as a variable overridden on every call, so the gradient
 * reaches ops applied to them before any weight (SameDiff M2.1 drops placeholder gradients).
 */
public final class SD3Transformer2DGraph implements AutoCloseable {
  public static final String HIDDEN_STATES = "hidden_states";
  public static final String ENCODER_HIDDEN_STATES = "encoder_hidden_states";
  public static final String POOLED_PROJECTIONS = "pooled_projections";
  public static final String TIMESTEP = "timestep";
  public static final String SAMPLE = "sample";
  private static final String COTANGENT = "cotangent";

  private final SD3Transformer2DModel model;
  private final int height;
  private final int width;
  private final int textLen;
  private final ExecutionContext context;
  private final SameDiff sd;
  private final GraphBuilder builder;
  private final GraphRunner forward;
  private GraphRunner vjp;

  /**
   * @param height latent height (a multiple of patch_size)
   * @param width latent width
   * @param textLen text tokens per sample
   */
  public SD3Transformer2DGraph(SD3Transformer2DModel model, int height, int width, int textLen,
      ExecutionContext context) {
    checkArgument(context != null, "an execution context is required (ExecutionContext.shared() or create(options))");
    this.model = model;
    this.height = height;
    this.width = width;
    this.textLen = textLen;
    this.context = context;
    SD3Transformer2DConfig c = model.config();
    sd = Graphs.create();
    builder = new GraphBuilder(sd, model.parameters(), List.of(), false, context.fusedOps());
    SDVariable x = sd.var(HIDDEN_STATES, Nd4j.zeros(DataType.FLOAT, 1, c.inChannels(), height, width));
    SDVariable y = sd.placeHolder(ENCODER_HIDDEN_STATES, DataType.FLOAT, -1, textLen, c.jointAttentionDim());
    SDVariable yp = sd.placeHolder(POOLED_PROJECTIONS, DataType.FLOAT, -1, c.pooledProjectionDim());
    SDVariable t = sd.placeHolder(TIMESTEP, DataType.FLOAT, -1);
    SDVariable out = model.forward(builder, x, y, yp, t, height, width, textLen, null).rename(SAMPLE);
    SDVariable u = sd.placeHolder(COTANGENT, DataType.FLOAT, -1, c.outChannels(), height, width);
    sd.setLossVariables(out.mul(u).sum().rename("vjp_loss"));
    forward = inputs(GraphRunner.builder(sd).label("sd3 transformer forward").context(context)).output(SAMPLE).build();
  }

  private static GraphRunner.Builder inputs(GraphRunner.Builder b) {
    return b.input(HIDDEN_STATES, true).input(ENCODER_HIDDEN_STATES, true).input(POOLED_PROJECTIONS, true)
        .input(TIMESTEP, true);
  }

  private Map<String, INDArray> feeds(INDArray x, INDArray text, INDArray pooled, INDArray t) {
    SD3Transformer2DConfig c = model.config();
    long b = x.size(0);
    checkArgument(x.rank() == 4 && x.size(1) == c.inChannels() && x.size(2) == height && x.size(3) == width,
        "hidden_states has shape %s, this graph takes [B, %s, %s, %s]", java.util.Arrays.toString(x.shape()),
        c.inChannels(), height, width);
    checkArgument(text.rank() == 3 && text.size(0) == b && text.size(1) == textLen
            && text.size(2) == c.jointAttentionDim(),
        "encoder_hidden_states has shape %s, this graph takes [%s, %s, %s]", java.util.Arrays.toString(text.shape()),
        b, textLen, c.jointAttentionDim());
    checkArgument(pooled.rank() == 2 && pooled.size(0) == b && pooled.size(1) == c.pooledProjectionDim(),
        "pooled_projections has shape %s, this graph takes [%s, %s]", java.util.Arrays.toString(pooled.shape()), b,
        c.pooledProjectionDim());
    checkArgument(t.length() == b, "timestep has %s values for a batch of %s", t.length(), b);
    return new java.util.HashMap<>(Map.of(HIDDEN_STATES, x, ENCODER_HIDDEN_STATES, text, POOLED_PROJECTIONS, pooled,
        TIMESTEP, t.reshape(b)));
  }

  /** The model output {@code [B, out_channels, H, W]}. */
  public INDArray predict(INDArray hiddenStates, INDArray text, INDArray pooled, INDArray timestep) {
    return forward.run(feeds(hiddenStates, text, pooled, timestep)).outputs().get(SAMPLE);
  }

  /** {@code uᵀ·∂out/∂hidden_states}, shaped like the latents, for a cotangent {@code u} shaped like the output. */
  public INDArray vjp(INDArray hiddenStates, INDArray text, INDArray pooled, INDArray timestep, INDArray cotangent) {
    if (vjp == null) {
      vjp = inputs(GraphRunner.builder(sd).label("sd3 transformer vjp").context(context))
          .input(COTANGENT, true).segments(builder.segments()).gradient(HIDDEN_STATES).build();
    }
    Map<String, INDArray> f = feeds(hiddenStates, text, pooled, timestep);
    f.put(COTANGENT, cotangent);
    return vjp.run(f).gradients().get(HIDDEN_STATES);
  }

  @Override
  public void close() {
    forward.close();
    if (vjp != null) {
      vjp.close();
    }
  }
}
