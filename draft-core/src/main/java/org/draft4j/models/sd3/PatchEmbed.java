package org.draft4j.models.sd3;

import static com.google.common.base.Preconditions.checkArgument;

import org.draft4j.nn.GraphBuilder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * diffusers' {@code PatchEmbed} as SD3 configures it ({@code embeddings.py} v0.29.2: no layer norm,
 * {@code pos_embed_max_size} set): a {@code p×p} stride-{@code p} convolution {@code proj} turns
 * {@code [B, C, H, W]} into {@code (H/p)·(W/p)} row-major tokens of width D, plus the centre crop of a
 * fixed {@code M×M} 2-D sin-cos table ({@code M = pos_embed_max_size}).
 *
 * <p>The table ({@code get_2d_sincos_pos_embed(D, M, base_size = sample_size/p)}): grid position
 * {@code (i, j)} (row, column) has coordinates {@code (i, j)/(M/base_size)}; channels {@code [0, D/2)}
 * encode the column, {@code [D/2, D)} the row, each half {@code [sin(u·ω_k), cos(u·ω_k)]} with
 * {@code ω_k = 10000^(-k/(D/4))}, {@code k < D/4}; computed in float64, stored float32. The crop for an
 * {@code h×w} token grid starts at row {@code (M-h)/2} and column {@code (M-w)/2}.
 */
final class PatchEmbed {
  /** The buffer name real checkpoints carry the table under. */
  static final String TABLE = "pos_embed.pos_embed";

  private PatchEmbed() {}

  /** The full table {@code [M*M, D]}, row {@code i*M + j} for grid row i, column j. */
  static INDArray positionTable(int dim, int gridSize, double baseSize) {
    checkArgument(dim % 4 == 0, "embedding width %s must be divisible by 4", dim);
    int quarter = dim / 4;
    float[] t = new float[gridSize * gridSize * dim];
    double scale = gridSize / baseSize;
    for (int i = 0; i < gridSize; i++) {
      for (int j = 0; j < gridSize; j++) {
        int row = (i * gridSize + j) * dim;
        fill(t, row, j / scale, quarter);               // first half: the column (w) coordinate
        fill(t, row + 2 * quarter, i / scale, quarter); // second half: the row (h) coordinate
      }
    }
    return Nd4j.create(t, new long[] {(long) gridSize * gridSize, dim}, 'c');
  }

  private static void fill(float[] t, int at, double pos, int quarter) {
    for (int k = 0; k < quarter; k++) {
      double omega = 1.0 / Math.pow(10000.0, k / (double) quarter);
      t[at + k] = (float) Math.sin(pos * omega);
      t[at + quarter + k] = (float) Math.cos(pos * omega);
    }
  }

  /** The centre {@code h×w} crop {@code [h*w, D]} of a table {@code [M*M, D]}. */
  static INDArray crop(INDArray table, int maxSize, int h, int w) {
    checkArgument(h <= maxSize && w <= maxSize,
        "a %sx%s token grid exceeds pos_embed_max_size = %s (the image is too large for this model)", h, w, maxSize);
    long dim = table.size(1);
    int top = (maxSize - h) / 2;
    int left = (maxSize - w) / 2;
    INDArray grid = table.reshape('c', maxSize, maxSize, dim);
    return grid.get(NDArrayIndex.interval(top, top + h), NDArrayIndex.interval(left, left + w), NDArrayIndex.all())
        .dup('c').reshape('c', (long) h * w, dim).castTo(DataType.FLOAT);
  }

  /**
   * Tokens {@code [B*(H/p)*(W/p), D]} of {@code x: [B, C, H, W]} with the cropped positions added.
   *
   * @param table the full {@code [M*M, D]} table
   */
  static SDVariable forward(GraphBuilder g, SDVariable x, int inChannels, int dim, int patch, int height, int width,
      INDArray table, int maxSize) {
    checkArgument(height % patch == 0 && width % patch == 0, "image %sx%s is not divisible by patch_size = %s",
        height, width, patch);
    int h = height / patch;
    int w = width / patch;
    SDVariable y = g.conv("pos_embed.proj", x, inChannels, dim, patch, patch, 0); // [B, D, h, w]
    SDVariable tok = y.permute(0, 2, 3, 1).reshape(-1, (long) h * w, dim);
    SDVariable pos = g.sd().constant(crop(table, maxSize, h, w).reshape(1, (long) h * w, dim));
    return tok.add(pos).reshape(-1, dim);
  }
}
