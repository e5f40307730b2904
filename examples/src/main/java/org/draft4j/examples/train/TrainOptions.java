package org.draft4j.examples.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Choices;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.cli.ModelOptions;
import org.draft4j.examples.cli.ModelSource;
import org.draft4j.lora.Lora;
import org.draft4j.lora.LoraTargets;
import org.draft4j.objectives.Objective;
import org.draft4j.objectives.Objectives;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options of one fine-tuning run, declared once: the {@code train} command's flags and config
 * file keys, and what {@code demo} and {@code results} give through {@link #parse(Map)}. Each field
 * is an option with its default and allowed range; {@link #settings} checks the relations between
 * them and returns the typed {@link TrainSettings}.
 */
public final class TrainOptions {
  /** Rewards whose CLIP model comes from {@code --reward-model}. */
  static final List<String> FOLDER_REWARDS = List.of("pickscore", "hpsv2", "laion-aesthetic");

  @Option(names = "--objective", description = "draft | draft-k | draft-lv | draft-plus | refl | alignprop"
      + " (default: ${DEFAULT-VALUE})")
  @Choices({"draft", "draft-k", "draft-lv", "draft-plus", "refl", "alignprop"})
  String objective = "draft-k";

  @Option(names = "--k", description = "DRaFT-K and DRaFT+: steps of the chain backpropagated through, in [1,"
      + " --sampler-steps] (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int k = 1;

  @Option(names = "--lv-n", description = "DRaFT-LV: noised copies of x0 per sample (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int lvN = 2;

  @Option(names = "--kl", description = "DRaFT+: coefficient of the KL penalty to the base model (default:"
      + " ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  double kl = 0.1;

  @Option(names = "--refl-min", description = "ReFL: first step a sample may stop at (default: sampler-steps - 3)")
  @Bounds(min = 0)
  Integer reflMin;

  @Option(names = "--refl-max", description = "ReFL: last step a sample may stop at (default: sampler-steps - 1)")
  @Bounds(min = 0)
  Integer reflMax;

  @Option(names = "--alignprop-min", description = "AlignProp: fewest steps backpropagated (default: 1)")
  @Bounds(min = 1)
  Integer alignpropMin;

  @Option(names = "--alignprop-max", description = "AlignProp: most steps backpropagated (default: sampler-steps)")
  @Bounds(min = 1)
  Integer alignpropMax;

  @Option(names = "--reward", description = "world | alignment | contrastive | contrastive-kind |"
      + " contrastive-kind-averaged | alignment-averaged | aesthetic | compressibility | incompressibility |"
      + " colorfulness | pickscore | hpsv2 | laion-aesthetic (the last three read --reward-model; aesthetic with"
      + " --reward-model is laion-aesthetic, without it the world's head; default: ${DEFAULT-VALUE})")
  @Choices({"world", "alignment", "contrastive", "contrastive-kind", "contrastive-kind-averaged", "alignment-averaged",
    "aesthetic", "compressibility", "incompressibility", "colorfulness", "pickscore", "hpsv2", "laion-aesthetic"})
  String reward = "world";

  @Option(names = "--aesthetic-weight", description = "world reward: weight of the aesthetic term (default:"
      + " ${DEFAULT-VALUE})")
  @Bounds
  double aestheticWeight = 0.5;

  @Option(names = "--reward-model", description = "pickscore: a Hugging Face CLIPModel folder (PickScore_v1's);"
      + " hpsv2: HPSv2's open_clip checkpoint FILE.pt (HPS_v2_compressed.pt, HPS_v2.1_compressed.pt) or a CLIPModel"
      + " folder; laion-aesthetic: the CLIP ViT-L/14 folder of the LAION aesthetic predictor")
  Path rewardModel;

  @Option(names = "--aesthetic-head", description = "laion-aesthetic: the predictor's MLP, as LAION publishes it"
      + " (sac+logos+ava1-l14-linearMSE.pth) or as safetensors (default: REWARD_MODEL/aesthetic_head.safetensors)")
  Path aestheticHead;

  @Option(names = "--rank", description = "LoRA rank (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 4096)
  int rank = 4;

  @Option(names = "--alpha", description = "LoRA alpha (default: the rank)")
  @Bounds(min = 0, minExclusive = true)
  Double alpha;

  @Option(names = "--dropout", description = "LoRA dropout (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, max = 0.999)
  double dropout = 0;

  @Option(names = "--targets", description = "attention | cross-attention | attention+ff | all (default:"
      + " ${DEFAULT-VALUE})")
  @Choices({"attention", "cross-attention", "attention+ff", "all"})
  String targets = "attention";

  @Option(names = "--lr", description = "AdamW learning rate (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, minExclusive = true)
  double lr = 1e-3;

  @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1)
  int steps = 40;

  @Option(names = "--micro", description = "samples per micro-batch (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 4096)
  int micro = 4;

  @Option(names = "--global", description = "samples per optimizer step, a multiple of --micro (default: --micro)")
  @Bounds(min = 1)
  Integer global;

  @Option(names = "--sampler-steps", description = "DDIM steps (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 1000)
  int samplerSteps = 10;

  @Option(names = "--guidance", description = "classifier-free guidance scale (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  double guidance = 5;

  @Option(names = "--eta", description = "DDIM eta (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, max = 1)
  double eta = 0;

  @Option(names = "--seed", description = "the run's seed: prompts, noise, LoRA init (default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Option(names = "--eval-prompts", description = "held-out prompts evaluated before and after; 0: no evaluation"
      + " (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0, max = 10_000)
  int evalPrompts = 4;

  @Option(names = "--eval-seeds", description = "sampling seeds per held-out prompt (default: ${DEFAULT-VALUE})")
  @Bounds(min = 1, max = 10_000)
  int evalSeeds = 4;

  @Option(names = "--eval-file", description = "held-out evaluation prompts, one a line; the evaluation uses its"
      + " first --eval-prompts lines (default: captions of ShapesWorld world seed 2, which training never sees; with"
      + " --prompts, that file's first lines)")
  Path evalFile;

  @Option(names = "--eval-every", description = "also evaluate every N steps, into eval_history.jsonl; 0: before"
      + " and after only (default: ${DEFAULT-VALUE})")
  @Bounds(min = 0)
  int evalEvery = 0;

  @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
  Path out = Path.of("train-output");

  @picocli.CommandLine.Mixin ModelOptions modelOptions = new ModelOptions();

  @Option(names = "--quiet", arity = "1", description = "no progress bar: true | false (default: ${DEFAULT-VALUE})")
  boolean quiet = false;

  @Option(names = "--checkpoints", description = "a folder for resumable checkpoints (adapter, optimizer, step);"
      + " rerunning the same settings resumes bit for bit, other settings are refused naming the field")
  Path checkpoints;

  @Option(names = "--checkpoint-every", description = "steps between checkpoints (default: 10)")
  @Bounds(min = 1)
  Integer checkpointEvery;

  @Option(names = "--prompts", description = "training prompts, one a line (default: ShapesWorld captions); the"
      + " evaluation uses its first --eval-prompts lines unless --eval-file is given")
  Path prompts;

  @Option(names = "--spark-master", description = "train data-parallel on Spark: local[N], local-cluster[N,1,MB] or"
      + " spark://HOST:PORT; executors build their replica from these same settings (default: this process only)")
  String sparkMaster;

  @Option(names = "--spark-workers", description = "Spark tasks a step is spread over; must divide global / micro"
      + " (default: 2)")
  @Bounds(min = 1, max = 4096)
  Integer sparkWorkers;

  /**
   * Parses settings given by name (no dashes; the form of a config file and of {@code summary.json}'s
   * {@code settings}) through these declarations, as the command line would.
   */
  public static TrainSettings parse(Map<String, String> given) {
    TrainOptions o = new TrainOptions();
    List<String> known = names();
    String[] args = new String[2 * given.size()];
    int i = 0;
    for (Map.Entry<String, String> e : given.entrySet()) {
      if (!known.contains(e.getKey())) {
        throw new IllegalArgumentException("unknown setting \"" + e.getKey() + "\"; allowed: " + known);
      }
      args[i++] = "--" + e.getKey();
      args[i++] = e.getValue();
    }
    Cli.parse(o, args);
    return o.settings(new LinkedHashMap<>(given));
  }

  /** The setting names, as a config file and {@link #parse} take them. */
  static List<String> names() {
    return Cli.names(CommandSpec.forAnnotatedObject(new TrainOptions()));
  }

  /** Checks the relations between the options and returns them typed; {@code given} is kept as the run's record. */
  TrainSettings settings(Map<String, String> given) {
    int g = global == null ? micro : global;
    if (g % micro != 0) {
      throw new IllegalArgumentException("--global = \"" + given.get("global") + "\": must be a positive multiple of"
          + " --micro = " + micro);
    }
    // the aesthetic reward of published files: LAION's predictor over a CLIP folder
    String rewardName = reward.equals("aesthetic") && rewardModel != null ? "laion-aesthetic" : reward;
    if (FOLDER_REWARDS.contains(rewardName) && rewardModel == null) {
      throw new IllegalArgumentException("--reward " + reward + " needs --reward-model " + (rewardName.equals("hpsv2")
          ? "FILE.pt|DIR (HPSv2's open_clip checkpoint, or" : "DIR (") + " a Hugging Face CLIPModel folder: config.json"
          + " and its weights)");
    }
    if (rewardModel != null && !FOLDER_REWARDS.contains(rewardName)) {
      throw new IllegalArgumentException("--reward-model is read by --reward " + FOLDER_REWARDS + " and aesthetic only,"
          + " not by --reward " + reward);
    }
    if (aestheticHead != null && !rewardName.equals("laion-aesthetic")) {
      throw new IllegalArgumentException("--aesthetic-head is read by --reward laion-aesthetic (or aesthetic with"
          + " --reward-model) only");
    }
    requireExists("reward-model", rewardModel);
    requireExists("aesthetic-head", aestheticHead);
    if (rewardModel != null && !rewardName.equals("hpsv2") && !Files.isDirectory(rewardModel)) {
      throw Cli.bad("reward-model", rewardModel.toString(), "a Hugging Face CLIPModel folder for --reward " + reward
          + " (a single checkpoint file is read by --reward hpsv2 only)");
    }
    requireExists("prompts", prompts);
    requireExists("eval-file", evalFile);
    if (evalFile != null && evalPrompts == 0) {
      throw new IllegalArgumentException("--eval-file = \"" + evalFile + "\" needs --eval-prompts >= 1 (how many of its"
          + " lines are evaluated)");
    }
    if (k > samplerSteps) {
      throw Cli.bad("k", given.get("k"), Cli.integer(1, samplerSteps));
    }
    int rMin = reflMin == null ? Math.max(0, samplerSteps - 3) : reflMin;
    if (rMin > samplerSteps - 1) {
      throw Cli.bad("refl-min", given.get("refl-min"), Cli.integer(0, samplerSteps - 1));
    }
    int rMax = reflMax == null ? samplerSteps - 1 : reflMax;
    if (rMax < rMin || rMax > samplerSteps - 1) {
      throw Cli.bad("refl-max", given.get("refl-max"), Cli.integer(rMin, samplerSteps - 1));
    }
    int aMin = alignpropMin == null ? 1 : alignpropMin;
    if (aMin > samplerSteps) {
      throw Cli.bad("alignprop-min", given.get("alignprop-min"), Cli.integer(1, samplerSteps));
    }
    int aMax = alignpropMax == null ? samplerSteps : alignpropMax;
    if (aMax < aMin || aMax > samplerSteps) {
      throw Cli.bad("alignprop-max", given.get("alignprop-max"), Cli.integer(aMin, samplerSteps));
    }
    if (evalPrompts == 0 && evalEvery > 0) {
      throw new IllegalArgumentException("--eval-every = " + evalEvery + " needs --eval-prompts >= 1");
    }
    if (checkpointEvery != null && checkpoints == null) {
      throw new IllegalArgumentException("--checkpoint-every = \"" + given.get("checkpoint-every") + "\" needs"
          + " --checkpoints DIR (where the checkpoints go)");
    }
    if (sparkWorkers != null && sparkMaster == null) {
      throw new IllegalArgumentException("--spark-workers = \"" + given.get("spark-workers") + "\" needs --spark-master"
          + " URL (where the workers run)");
    }
    int workers = sparkWorkers == null ? 2 : sparkWorkers;
    if (sparkMaster != null && (g / micro) % workers != 0) {
      throw Cli.bad("spark-workers", String.valueOf(workers), "a divisor of global / micro = " + g / micro
          + " (each worker computes the same number of micro-batches)");
    }
    requirePath("out", out);
    requirePath("model", modelOptions.model());
    ModelSource source = modelOptions.source();
    requirePath("checkpoints", checkpoints);
    Objective obj = switch (objective) {
      case "draft" -> Objectives.draft();
      case "draft-k" -> Objectives.draftK(k);
      case "draft-lv" -> Objectives.draftLv(lvN);
      case "draft-plus" -> Objectives.draftPlus(k, kl);
      case "refl" -> Objectives.refl(rMin, rMax);
      case "alignprop" -> Objectives.alignProp(aMin, aMax);
      default -> throw new AssertionError(objective); // refused by @Choices
    };
    LoraTargets t = switch (targets) {
      case "attention" -> LoraTargets.attention();
      case "cross-attention" -> LoraTargets.crossAttention();
      case "attention+ff" -> LoraTargets.attentionAndFeedForward();
      case "all" -> LoraTargets.all();
      default -> throw new AssertionError(targets);
    };
    Lora adapter = Lora.rank(rank).alpha(alpha == null ? rank : alpha).dropout(dropout).on(t);
    TrainSettings.RewardChoice rc = new TrainSettings.RewardChoice(rewardName, aestheticWeight, rewardModel,
        aestheticHead != null ? aestheticHead
            : rewardModel == null ? null : rewardModel.resolve("aesthetic_head.safetensors"));
    return new TrainSettings(obj, rc, adapter, lr, steps, micro, g, samplerSteps, guidance, eta, seed,
        new TrainSettings.Evaluation(evalPrompts, evalSeeds, evalEvery, evalFile), out, source, quiet, checkpoints,
        checkpointEvery == null ? 10 : checkpointEvery, prompts,
        sparkMaster == null ? null : new TrainSettings.Spark(sparkMaster, workers),
        java.util.Collections.unmodifiableMap(new LinkedHashMap<>(given)));
  }

  private static void requirePath(String name, Path p) {
    if (p != null && p.toString().isBlank()) {
      throw Cli.bad(name, p.toString(), "a path");
    }
  }

  private static void requireExists(String name, Path p) {
    if (p != null && !Files.exists(p)) {
      throw new IllegalArgumentException("--" + name + " = \"" + p + "\": no such file or directory");
    }
  }
}
