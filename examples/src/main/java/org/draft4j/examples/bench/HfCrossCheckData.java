package org.draft4j.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.models.TextToImageModel;
import org.draft4j.rewards.ClipModel;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.shapesworld.ShapesWorldModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes what draft4j computes with the shipped ShapesWorld models, for comparison with Hugging
 * Face transformers loading the same folders ({@code examples/scripts/hf_crosscheck.py}): token
 * ids of the world tokenizer, the pipeline text encoder's {@code last_hidden_state}, and the world
 * CLIP's normalized text and image features of rendered scenes (images stored too, in [0,1]).
 */
@Command(name = "hf-crosscheck-data", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Write the shipped models' token ids, text-encoder states and CLIP features for"
        + " examples/scripts/hf_crosscheck.py.")
public final class HfCrossCheckData implements Callable<Integer> {
  @Option(names = "--out", description = "the safetensors file (default: ${DEFAULT-VALUE})")
  Path out = Path.of("crosscheck.safetensors");

  @Option(names = "--count", description = "captions and images (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 100_000)
  int count = 16;

  HfCrossCheckData() {}

  @Override
  public Integer call() throws IOException {
    int n = count;
    List<ShapesWorld.Scene> scenes = new ArrayList<>();
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      scenes.add(ShapesWorld.scene(99, i));
      prompts.add(scenes.get(i).caption());
    }
    // edge cases for the tokenizer: empty prompt (CFG's unconditional), punctuation, case, overlong
    prompts.add("");
    prompts.add("A Tiny RED star, on a  blue background!");
    prompts.add(String.join(" ", java.util.Collections.nCopies(20, "a large green ring")));
    TextToImageModel model = ShapesWorldModel.pretrained();
    ClipModel clip = ShapesWorldModel.clip();
    INDArray images = ShapesWorld.images(scenes).add(1).muli(0.5);
    Map<String, INDArray> t = new LinkedHashMap<>();
    t.put("token_ids", ClipModel.tokenIds(model.tokenizer(), prompts).castTo(DataType.FLOAT));
    t.put("text_last_hidden_state", model.encode(prompts).castTo(DataType.FLOAT));
    t.put("clip_token_ids", ClipModel.tokenIds(clip.tokenizer(), prompts).castTo(DataType.FLOAT));
    t.put("clip_text_features", clip.textFeatures(prompts));
    t.put("images", images.castTo(DataType.FLOAT));
    t.put("clip_image_features", clip.imageFeatures(images));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("prompts", Json.write(prompts));
    meta.put("clip_logit_scale", Double.toString(clip.logitScale()));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Safetensors.write(out, t, meta);
    System.out.println("wrote " + out.toAbsolutePath() + " (" + prompts.size() + " prompts, " + n + " images)");
    return 0;
  }
}
