package org.draft4j.rewards;

import java.util.List;
import java.util.Map;
import org.draft4j.nn.GraphBuilder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A CLIP's normalized features of raw inputs (token ids, preprocessed pixels), as open_clip's encoders take them. */
final class ClipFeatures {
  private ClipFeatures() {}

  /** Text features {@code [B, E]} of ids {@code [B, L]} pooled at the one-hot {@code eos [B, L]}. */
  static INDArray text(ClipModel clip, INDArray ids, INDArray eos) {
    SameDiff sd = SameDiff.create();
    int len = (int) ids.size(1);
    SDVariable f = ClipModel.normalize(clip.textEmbeds(new GraphBuilder(sd, clip.parameters(), List.of()),
        sd.placeHolder("ids", DataType.INT, -1, len), sd.placeHolder("eos", DataType.FLOAT, -1, len)));
    return sd.output(Map.of("ids", ids.castTo(DataType.INT), "eos", eos.castTo(DataType.FLOAT)), f.name())
        .get(f.name());
  }

  /** Text features pooled as open_clip pools: at {@code argmax(ids)} of each row. */
  static INDArray textAtArgmax(ClipModel clip, INDArray ids) {
    INDArray eos = Nd4j.zeros(DataType.FLOAT, ids.size(0), ids.size(1));
    INDArray at = ids.castTo(DataType.FLOAT).argMax(1);
    for (int i = 0; i < ids.size(0); i++) {
      eos.putScalar(i, at.getLong(i), 1);
    }
    return text(clip, ids, eos);
  }

  /** Image features {@code [B, E]} of preprocessed pixels {@code [B, 3, S, S]}. */
  static INDArray image(ClipModel clip, INDArray pixelValues) {
    SameDiff sd = SameDiff.create();
    int s = clip.visionConfig().imageSize();
    SDVariable f = ClipModel.normalize(new ClipVisionModel(clip.visionConfig(), clip.parameters()).imageEmbeds(
        new GraphBuilder(sd, clip.parameters(), List.of()), sd.placeHolder("px", DataType.FLOAT, -1, 3, s, s)));
    return sd.output(Map.of("px", pixelValues.castTo(DataType.FLOAT)), f.name()).get(f.name());
  }
}
