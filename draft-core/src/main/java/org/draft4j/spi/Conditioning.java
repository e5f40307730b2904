package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Text conditioning of a batch: the prompt embeddings and, for classifier-free guidance, the
 * embeddings of the empty prompt, both {@code [B, L, D]}.
 *
 * @param cond prompt embeddings
 * @param uncond empty-prompt embeddings, or null when guidance is off
 */
public record Conditioning(INDArray cond, INDArray uncond) {
  public Conditioning {
    checkArgument(cond != null && cond.rank() == 3, "cond must be [B, L, D]");
    checkArgument(uncond == null || Arrays.equals(cond.shape(), uncond.shape()),
        "uncond shape %s differs from cond shape %s", uncond == null ? null : Arrays.toString(uncond.shape()),
        Arrays.toString(cond.shape()));
  }

  /** Batch size. */
  public long batch() {
    return cond.size(0);
  }
}
