package org.draft4j.examples.pretrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.SplittableRandom;
import me.tongfei.progressbar.ProgressBar;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.support.Correlation;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.nn.Parameters;
import org.draft4j.optim.AdamW;
import org.draft4j.optim.LearningRateSchedule;
import org.draft4j.optim.OptimizerState;
import org.draft4j.rewards.AestheticHead;
import org.draft4j.rewards.ClipModel;
import org.draft4j.shapesworld.ShapesAppeal;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.spi.NoiseSource;
import org.draft4j.train.ConsoleProgress;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Trains ShapesWorld's aesthetic head: the LAION improved-aesthetic MLP ({@link AestheticHead}) on
 * the L2-normalized image features of the world's CLIP, regressing {@link ShapesAppeal#score} with
 * MSE (AdamW, batch 256, cosine schedule). Training images are renders of scenes [0, n) of the seed
 * with the CLIP's pixel noise (σ ~ U(0, 0.05)); evaluation is on scenes of another seed. Small
 * enough (a few minutes) to run in one go; writes {@code aesthetic.safetensors} and a report.
 */
@Command(name = "pretrain-aesthetic", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Train the ShapesWorld aesthetic head on a CLIP's image features.")
public final class PretrainAesthetic implements Callable<Integer> {
  @Option(names = "--clip", description = "the CLIP folder (default: ${DEFAULT-VALUE})")
  Path clip = Path.of("shapesworld-clip");

  @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
  Path out = Path.of("shapesworld-aesthetic");

  @Option(names = "--images", description = "training renders (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int images = 8000;

  @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int steps = 3000;

  @Option(names = "--seed", description = "data and init seed (default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Spec CommandSpec spec;

  PretrainAesthetic() {}

  /** What training produced: the head and its held-out Pearson correlation with the appeal score. */
  public record Result(AestheticHead head, double heldOutPearson, double heldOutRmse, int trainImages) {}

  @Override
  public Integer call() throws IOException {
    Result r = train(ClipModel.load(clip), images, steps, seed);
    save(r, out, "launcher pretrain-aesthetic " + Cli.flags(Cli.given(spec)));
    return 0;
  }

  /** Writes {@code OUT/aesthetic.safetensors} (with the result in its metadata) and {@code OUT/report.json}. */
  static void save(Result r, Path out, String command) throws IOException {
    Files.createDirectories(out);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("target", "ShapesAppeal.score: 10*(0.5*contrast + 0.3*size + 0.2*centring), see its Javadoc");
    meta.put("held_out_pearson", String.valueOf(r.heldOutPearson()));
    meta.put("command", command);
    Safetensors.write(out.resolve("aesthetic.safetensors"), r.head().parameters().asMap(), meta);
    Files.writeString(out.resolve("report.json"), Json.writePretty(new Report(r.heldOutPearson(), r.heldOutRmse(),
        r.trainImages(), command)));
  }

  /** {@code OUT/report.json}: the head's fit on held-out renders and the command that trained it. */
  record Report(@JsonProperty("held_out_pearson") double heldOutPearson,
      @JsonProperty("held_out_rmse") double heldOutRmse, @JsonProperty("train_images") int trainImages,
      String command) {
    static Report read(Path file) throws IOException {
      return Json.mapper().readValue(Files.readString(file), Report.class);
    }
  }

  /** Trains a head on {@code n} renders for {@code steps} steps and evaluates it on 1000 held-out scenes. */
  public static Result train(ClipModel clip, int n, int steps, long seed) {
    INDArray xTrain = features(clip, seed, n);
    INDArray yTrain = scores(seed, n);
    long evalSeed = seed + 7_777;
    INDArray xEval = features(clip, evalSeed, 1000);
    INDArray yEval = scores(evalSeed, 1000);
    int d = clip.projectionDim();
    AestheticHead head = new AestheticHead(Parameters.random(seed + 3), d);
    SameDiff sd = org.draft4j.engine.Graphs.create();
    SDVariable e = sd.placeHolder("e", DataType.FLOAT, -1, d);
    SDVariable y = sd.placeHolder("y", DataType.FLOAT, -1);
    org.draft4j.engine.ExecutionContext ctx = org.draft4j.engine.ExecutionContext.shared();
    SDVariable pred = head.forward(new GraphBuilder(sd, head.parameters(), List.of(), true, ctx.fusedOps()), e);
    SDVariable diff = pred.sub(y);
    sd.setLossVariables(diff.mul(diff).mean().rename("loss"));
    Map<String, INDArray> w = head.parameters().asMap();
    // the mean couples the batch: inputs are not batched
    org.draft4j.engine.GraphRunner.Builder tb = org.draft4j.engine.GraphRunner.builder(sd).context(ctx)
        .label("aesthetic training").input("e", false).input("y", false).output("loss");
    w.keySet().forEach(tb::gradient);
    org.draft4j.engine.GraphRunner train = tb.build();
    org.draft4j.engine.GraphRunner predict = org.draft4j.engine.GraphRunner.builder(sd).context(ctx)
        .label("aesthetic prediction").input("e", true).output(pred.name()).build();
    int batch = 256;
    AdamW opt = AdamW.lr(1e-3).schedule(LearningRateSchedule.cosine(100, steps, 0.05));
    OptimizerState st = opt.init(w);
    ProgressBar bar = ConsoleProgress.bar(System.err, "aesthetic", steps, 0);
    SplittableRandom r = new SplittableRandom(seed);
    for (int s = 0; s < steps; s++) {
      int[] idx = new int[batch];
      for (int j = 0; j < batch; j++) {
        idx[j] = r.nextInt(n);
      }
      INDArray ii = Nd4j.createFromArray(idx);
      Map<String, INDArray> ph = Map.of("e", Nd4j.pullRows(xTrain, 1, idx), "y", yTrain.get(ii));
      org.draft4j.engine.GraphRunner.Result og = train.run(ph);
      opt.update(w, og.gradients(), st);
      if ((s + 1) % 100 == 0) {
        bar.stepTo(s + 1);
        bar.setExtraMessage(String.format(Locale.ROOT, "mse %.4f", og.outputs().get("loss").getDouble(0)));
      }
    }
    bar.close();
    INDArray pe = predict.run(Map.of("e", xEval)).outputs().get(pred.name());
    train.close();
    predict.close();
    double rmse = Math.sqrt(pe.sub(yEval).mul(pe.sub(yEval)).meanNumber().doubleValue());
    AestheticHead trained = new AestheticHead(Parameters.of(w, "trained ShapesWorld aesthetic head"), d);
    return new Result(trained, Correlation.pearson(pe.toDoubleVector(), yEval.toDoubleVector()), rmse, n);
  }

  /** CLIP image features of renders of scenes [0, n) of a seed, with the training pixel noise. */
  static INDArray features(ClipModel clip, long seed, int n) {
    List<INDArray> parts = new ArrayList<>();
    for (int from = 0; from < n; from += 250) {
      int b = Math.min(250, n - from);
      List<ShapesWorld.Scene> sc = new ArrayList<>();
      long[] ns = new long[b];
      float[] sig = new float[b];
      for (int j = 0; j < b; j++) {
        sc.add(ShapesWorld.scene(seed, from + j));
        ns[j] = NoiseSource.mix(seed, from + j, 11);
        sig[j] = (float) (new SplittableRandom(NoiseSource.mix(seed, from + j, 12)).nextDouble() * 0.05);
      }
      INDArray x = ShapesWorld.images(sc).addi(1).divi(2);
      INDArray noise = NoiseSource.batch(ns, 0, 3, ShapesWorld.SIZE, ShapesWorld.SIZE);
      x.reshape(b, -1).addi(noise.reshape(b, -1).mulColumnVector(Nd4j.createFromArray(sig).reshape(b, 1)));
      parts.add(clip.imageFeatures(x));
    }
    return Nd4j.concat(0, parts.toArray(new INDArray[0]));
  }

  static INDArray scores(long seed, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ShapesAppeal.score(ShapesWorld.scene(seed, i));
    }
    return Nd4j.createFromArray(v);
  }
}
