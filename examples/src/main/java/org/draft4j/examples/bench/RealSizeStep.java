package org.draft4j.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.io.Json;
import org.draft4j.io.Safetensors;
import org.draft4j.lora.Lora;
import org.draft4j.models.AutoencoderKL;
import org.draft4j.models.AutoencoderKLConfig;
import org.draft4j.models.ClipTextConfig;
import org.draft4j.models.ClipTextModel;
import org.draft4j.models.ModelFolder;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.models.ldm.StableDiffusionCheckpoint;
import org.draft4j.nn.Parameters;
import org.draft4j.objectives.Objectives;
import org.draft4j.optim.AdamW;
import org.draft4j.rewards.AestheticHead;
import org.draft4j.rewards.ClipModel;
import org.draft4j.rewards.ClipVisionConfig;
import org.draft4j.rewards.Rewards;
import org.draft4j.samplers.Ddim;
import org.draft4j.samplers.DdimSchedulerConfig;
import org.draft4j.spi.ImageDecoder;
import org.draft4j.spi.Reward;
import org.draft4j.spi.RewardEvaluator;
import org.draft4j.text.BpeTrainer;
import org.draft4j.text.ClipTokenizer;
import org.draft4j.train.DraftTrainer;
import org.draft4j.train.Memory;
import org.draft4j.train.StepMetrics;
import org.draft4j.train.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code bench --only sd15-step}: whole DRaFT steps at Stable Diffusion 1.5 size with random weights.
 * The components are built at their published sizes, saved once as diffusers / Hugging Face folders
 * and loaded back through the public loaders, as a user's downloads would be: the SD 1.5 UNet
 * (859.5 M), the SD VAE (decoder 64² → 512²), SD 1.5's CLIP ViT-L/14 text encoder, a PickScore-shaped
 * CLIP ViT-H/14 and a LAION-aesthetic-shaped CLIP ViT-L/14 with its MLP head. Each case is one fresh
 * JVM (peak RSS = its VmHWM): a DRaFT-1, DRaFT-LV(2) and full-DRaFT step with CFG 7.5, a rank-4
 * LoRA on attention and DDIM with {@value #SAMPLER_STEPS} steps, and the same DRaFT-1 step with the
 * aesthetic reward. The first step of a JVM plans every graph (about one extra call each); later
 * steps are what training repeats. The same code runs at {@link Sizes#tiny} sizes in the tests.
 */
public final class RealSizeStep {
  static final int SAMPLER_STEPS = 4;
  private static final String RESULT = "REALSIZE_RESULT ";
  /** The prompt of every step. */
  public static final String PROMPT = "a photograph of an astronaut riding a horse";

  /** The components' configs. */
  record Sizes(String name, UNet2DConditionConfig unet, AutoencoderKLConfig vae, ClipTextConfig text,
      ClipTextConfig pickText, ClipVisionConfig pickVision, int pickProjection, ClipTextConfig aestheticText,
      ClipVisionConfig aestheticVision, int aestheticProjection) {
    /** Published sizes: SD 1.5, the SD VAE, CLIP ViT-L/14 (text), ViT-H/14 (PickScore), ViT-L/14 (aesthetic). */
    static Sizes published() {
      AutoencoderKLConfig vae = new AutoencoderKLConfig(3, 3, new int[] {128, 256, 512, 512}, 2, 4, 32, 512, 0.18215);
      ClipTextConfig sdText = new ClipTextConfig(49408, 768, 3072, 12, 12, 77, "quick_gelu", 1e-5);
      ClipTextConfig hText = new ClipTextConfig(49408, 1024, 4096, 24, 16, 77, "gelu", 1e-5);
      ClipVisionConfig hVision = new ClipVisionConfig(1280, 5120, 32, 16, 224, 14, 1024, "gelu", 1e-5);
      ClipVisionConfig lVision = new ClipVisionConfig(1024, 4096, 24, 16, 224, 14, 768, "quick_gelu", 1e-5);
      return new Sizes("published", UNet2DConditionConfig.fromJson(Map.of(), "SD 1.5 defaults"), vae, sdText, hText,
          hVision, 1024, sdText, lVision, 768);
    }

    /** The same architecture families at toy sizes (tests). */
    static Sizes tiny(int vocab) {
      UNet2DConditionConfig u = new UNet2DConditionConfig(8, 4, 4, new int[] {8, 16}, 1,
          List.of("CrossAttnDownBlock2D", "DownBlock2D"), List.of("UpBlock2D", "CrossAttnUpBlock2D"),
          new int[] {2, 2}, 8, 4, 1e-5, true, 0);
      AutoencoderKLConfig vae = new AutoencoderKLConfig(3, 3, new int[] {8, 16}, 1, 4, 4, 16, 0.18215);
      ClipTextConfig text = new ClipTextConfig(vocab, 8, 16, 1, 2, 77, "quick_gelu", 1e-5);
      ClipVisionConfig vision = new ClipVisionConfig(8, 16, 2, 2, 8, 4, 6, "gelu", 1e-5);
      return new Sizes("tiny", u, vae, text, text, vision, 6, text, vision, 6);
    }
  }

  private RealSizeStep() {}

  /** The CLIP BPE files: the real ones from ../shared/clip-tokenizer for published sizes, a learned one for tiny. */
  private static String[] tokenizerFiles(boolean tiny) throws IOException {
    if (tiny) {
      BpeTrainer.Vocabulary v = BpeTrainer.learn(List.of(PROMPT, "a red star", "a blue square"), 20);
      return new String[] {v.vocabJson(), v.mergesTxt()};
    }
    Path dir = Path.of("..", "shared", "clip-tokenizer");
    if (!Files.exists(dir.resolve("vocab.json"))) {
      throw new IllegalStateException("bench --only sd15-step needs CLIP's BPE files (vocab.json, merges.txt) in "
          + dir.toAbsolutePath().normalize() + "; nothing is downloaded");
    }
    return new String[] {Files.readString(dir.resolve("vocab.json")), Files.readString(dir.resolve("merges.txt"))};
  }

  private static ClipTokenizer tokenizer(String[] files) {
    return new ClipTokenizer(ClipTokenizer.readVocab(files[0]), ClipTokenizer.readMerges(files[1]), 77);
  }

  /** Writes one component's folder under {@code dir}: {@code sd15}, {@code pickscore} or {@code aesthetic}. */
  public static void prepare(Path dir, String part, boolean tiny) throws IOException {
    String[] tf = tokenizerFiles(tiny);
    Sizes s = tiny ? Sizes.tiny(tokenizer(tf).vocabSize()) : Sizes.published();
    ClipTokenizer tok = tokenizer(tf);
    switch (part) {
      case "sd15" -> {
        TextToImageModel m = TextToImageModel.builder().id("sd15-random").tokenizer(tok)
            .textEncoder(ClipTextModel.random(s.text(), 1)).unet(UNet2DConditionModel.random(s.unet(), 0))
            .vae(AutoencoderKL.random(s.vae(), 2)).build();
        m.save(dir.resolve("sd15"), tf[0], tf[1], DdimSchedulerConfig.sd15().toJson());
      }
      case "pickscore" -> ClipModel.random(s.pickText(), s.pickVision(), s.pickProjection(), tok, 3)
          .save(dir.resolve("pickscore"), tf[0], tf[1]);
      case "aesthetic" -> {
        ClipModel.random(s.aestheticText(), s.aestheticVision(), s.aestheticProjection(), tok, 4)
            .save(dir.resolve("aesthetic"), tf[0], tf[1]);
        Parameters hp = Parameters.random(5);
        new AestheticHead(hp, s.aestheticProjection()); // an initializing store: building creates the weights
        Safetensors.write(dir.resolve("aesthetic").resolve("aesthetic_head.safetensors"), hp.asMap(), Map.of());
      }
      case "sd15-fp16" -> folderModel(dir).save(dir.resolve("sd15-fp16"), org.draft4j.models.WeightsFormat.fp16());
      case "sd15-single" -> StableDiffusionCheckpoint.write(folderModel(dir), dir.resolve("sd15.safetensors"));
      default -> throw new IllegalArgumentException("part = \"" + part + "\"; allowed: sd15, sd15-fp16, sd15-single,"
          + " pickscore, aesthetic");
    }
  }

  private static TextToImageModel folderModel(Path dir) {
    return TextToImageModel.load(ModelFolder.of(dir.resolve("sd15")), "sd15-random");
  }

  /** Where a model source's files are under {@code dir}, and what must be written first to have them. */
  static final Map<String, String[]> SOURCES = Map.of(
      "folder", new String[] {"sd15/model_index.json", "sd15"},
      "fp16", new String[] {"sd15-fp16/model_index.json", "sd15-fp16"},
      "single-file", new String[] {"sd15.safetensors", "sd15-single"},
      "ckpt", new String[] {"sd15.ckpt", null});

  /**
   * The SD 1.5-size model from one of its saved forms: {@code folder} (the F32 diffusers folder),
   * {@code fp16} (the same as an fp16-variant folder), {@code single-file} (an LDM-layout
   * {@code sd15.safetensors}, F32, as v1-5-pruned-emaonly.safetensors is), {@code ckpt}
   * ({@code sd15.ckpt}, a torch.save zip of the same state dict, written by PyTorch).
   */
  static TextToImageModel loadModel(Path dir, String source) {
    return switch (source) {
      case "folder" -> folderModel(dir);
      case "fp16" -> TextToImageModel.load(ModelFolder.of(dir.resolve("sd15-fp16")), "sd15-random", "fp16");
      case "single-file" -> StableDiffusionCheckpoint.load(dir.resolve("sd15.safetensors"));
      case "ckpt" -> StableDiffusionCheckpoint.load(dir.resolve("sd15.ckpt"));
      default -> throw new IllegalArgumentException("source = \"" + source + "\"; allowed: " + SOURCES.keySet());
    };
  }

  /** The reward of a case, loaded from its folder. */
  static Reward reward(Path dir, String which) throws IOException {
    if (which.equals("pickscore")) {
      return Rewards.pickScore(ClipModel.load(dir.resolve("pickscore")));
    }
    ClipModel clip = ClipModel.load(dir.resolve("aesthetic"));
    return Rewards.aesthetic(clip, AestheticHead.load(dir.resolve("aesthetic").resolve("aesthetic_head.safetensors"),
        clip.projectionDim()));
  }

  /**
   * One case: loads the folders, runs {@code steps} training steps of {@code objective}
   * ({@code draft-1}, {@code draft-lv2}, {@code draft}) with {@code reward} ({@code pickscore},
   * {@code aesthetic}) and reports step times, the last step's time by graph, and (with
   * {@code phases}) the decoder's and the reward's own forward and gradient times.
   */
  static Map<String, Object> step(Path dir, String objective, String rewardName, int steps, boolean phases,
      String source) throws IOException {
    Map<String, Object> r = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    TextToImageModel model = loadModel(dir, source);
    r.put("model_load_s", (System.nanoTime() - t0) / 1e9);
    r.put("rss_after_model_load", Memory.residentBytes());
    Reward reward = reward(dir, rewardName);
    r.put("load_s", (System.nanoTime() - t0) / 1e9);
    r.put("rss_after_load", Memory.residentBytes());
    List<Double> stepSeconds = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    TrainingListener times = new TrainingListener() {
      @Override
      public void onStep(StepMetrics m) {
        stepSeconds.add(m.seconds());
        losses.add(m.loss());
      }
    };
    try (DraftTrainer trainer = DraftTrainer.builder().model(model)
        .sampler(Ddim.steps(SAMPLER_STEPS).eta(0.0).guidance(7.5)).reward(reward)
        .adapter(Lora.rank(4).alpha(4).onAttention())
        .objective(switch (objective) {
          case "draft-1" -> Objectives.draftK(1);
          case "draft-lv2" -> Objectives.draftLv(2);
          case "draft" -> Objectives.draft();
          default -> throw new IllegalArgumentException("objective = \"" + objective
              + "\"; allowed: draft-1, draft-lv2, draft");
        })
        .optimizer(AdamW.lr(1e-4)).prompts(List.of(PROMPT)).batch(1, 1).seed(0).listener(times).build()) {
      if (steps > 1) {
        trainer.fit(steps - 1);
      }
      ExecutionContext ctx = trainer.executionContext();
      ctx.resetRunTimes();
      trainer.fit(1);
      r.put("last_step_by_graph_s", ctx.secondsByRunner());
      INDArray b = trainer.adapter().trainableParameters().values().stream().filter(a -> a.length() > 0)
          .findFirst().orElseThrow();
      r.put("adapter_changed", b.norm2Number().doubleValue() > 0);
    }
    r.put("step_s", stepSeconds);
    r.put("loss", losses);
    r.put("peak_rss_step", Memory.peakResidentBytes());
    if (phases) {
      long[] latent = model.sampleShape();
      Nd4j.getRandom().setSeed(7);
      INDArray x0 = Nd4j.randn(DataType.FLOAT, 1, latent[0], latent[1], latent[2]);
      Reward mean = Reward.named("mean", (g, im) -> im.mean(1, 2, 3));
      INDArray images;
      try (RewardEvaluator dec = new RewardEvaluator(mean, model.decoder(), ExecutionContext.shared())) {
        r.putAll(timed("decode", dec, x0, List.of(PROMPT)));
        images = dec.evaluate(x0, List.of(PROMPT), false).images();
      }
      try (RewardEvaluator rw = new RewardEvaluator(reward, ImageDecoder.identity(), ExecutionContext.shared())) {
        r.putAll(timed("reward", rw, images, List.of(PROMPT)));
      }
      r.put("peak_rss_all", Memory.peakResidentBytes());
    }
    return r;
  }

  /** Second-call forward and gradient seconds of an evaluator, with its gradient plan's arena. */
  private static Map<String, Object> timed(String name, RewardEvaluator ev, INDArray in, List<String> prompts) {
    Map<String, Object> r = new LinkedHashMap<>();
    for (boolean grad : new boolean[] {false, true}) {
      double last = 0;
      for (int i = 0; i < 2; i++) {
        long t = System.nanoTime();
        ev.evaluate(in, prompts, grad);
        last = (System.nanoTime() - t) / 1e9;
      }
      r.put(name + (grad ? "_with_gradient_s" : "_forward_s"), last);
    }
    var stats = ev.gradientPlanStats(in.shape());
    if (stats != null) {
      r.put(name + "_gradient_arena", stats.arenaBytes());
      r.put(name + "_gradient_checkpointed", stats.checkpointed());
    }
    return r;
  }

  /** Writes what {@code source} needs under {@code dir} unless it is there (the F32 folder first). */
  static void prepareSource(Path dir, String source) throws IOException, InterruptedException {
    String[] need = SOURCES.get(source);
    if (need == null) {
      throw new IllegalArgumentException("source = \"" + source + "\"; allowed: " + SOURCES.keySet());
    }
    if (!source.equals("folder")) {
      prepareSource(dir, "folder");
    }
    if (!Files.exists(dir.resolve(need[0]))) {
      if (need[1] == null) {
        throw new IllegalStateException(dir.resolve(need[0]) + " is missing: a .ckpt is written by PyTorch, not by"
            + " draft4j (docs/benchmarks.md gives the command)");
      }
      System.err.println("sd15: writing " + dir.resolve(need[0]));
      child(List.of("prepare", dir.toString(), need[1]));
    }
  }

  /**
   * {@code bench --only sd15-load}: the SD 1.5-size model loaded from each of {@code sources}, one
   * fresh JVM each: load time, resident memory after the load and its peak during it.
   */
  static String loads(Path dir, List<String> sources) throws IOException, InterruptedException {
    StringBuilder sb = new StringBuilder("### Loading the SD 1.5-size model (UNet, VAE, CLIP ViT-L/14 text encoder;"
        + " random weights) from its published forms, one fresh JVM each\n\n| from | files | load | resident after"
        + " load | peak during load |\n|---|---|---|---|---|\n");
    for (String src : sources) {
      prepareSource(dir, src);
      Map<String, Object> r = child(List.of("load", dir.toString(), src));
      String row = String.format(Locale.ROOT, "| %s | %s | %.1f s | %.2f GB | %.2f GB |%n", src,
          describe(src), num(r, "load_s"), num(r, "rss_after_load") / 1e9, num(r, "peak_rss") / 1e9);
      System.err.print(row);
      sb.append(row);
    }
    return sb.append('\n').toString();
  }

  private static String describe(String source) {
    return switch (source) {
      case "folder" -> "diffusers folder, F32 safetensors";
      case "fp16" -> "diffusers folder, fp16 variant (`*.fp16.safetensors`)";
      case "single-file" -> "one LDM-layout `.safetensors`, F32 (as v1-5-pruned-emaonly)";
      case "ckpt" -> "one LDM-layout `.ckpt` (torch.save zip), F32";
      default -> source;
    };
  }

  /** The bench section: prepares the folders under {@code dir} (once) and runs each case in a child JVM. */
  static String bench(Path dir, int steps) throws IOException, InterruptedException {
    return bench(dir, steps, null);
  }

  /**
   * As {@link #bench(Path, int)} with {@code sources} null (the four cases, the model from the F32
   * folder); else the DRaFT-1 PickScore case once per source, the model loaded from it
   * ({@link #loadModel}), so that the forms compare in one run.
   */
  static String bench(Path dir, int steps, List<String> sources) throws IOException, InterruptedException {
    StringBuilder sb = new StringBuilder();
    for (String part : new String[] {"sd15", "pickscore", "aesthetic"}) {
      if (!Files.exists(dir.resolve(part).resolve(part.equals("sd15") ? "model_index.json" : "config.json"))) {
        System.err.println("sd15-step: writing random-weight folder " + dir.resolve(part));
        child(List.of("prepare", dir.toString(), part));
      }
    }
    for (String src : sources == null ? List.<String>of() : sources) {
      prepareSource(dir, src);
    }
    sb.append("### A DRaFT step at Stable Diffusion 1.5 size (random weights loaded from diffusers / Hugging Face"
        + " folders): SD 1.5 UNet, SD VAE decoding 64² latents to 512² images, CLIP ViT-L/14 text encoder;"
        + " reward CLIP ViT-H/14 (PickScore's shape) or CLIP ViT-L/14 + MLP (LAION aesthetic's shape); CFG 7.5,"
        + " DDIM " + SAMPLER_STEPS + " steps, LoRA rank 4 on attention, micro batch 1, engine with 1 worker; one"
        + " fresh JVM per row\n\n| objective | reward | model from (load) | steps | first step (plans) | later step |"
        + " peak RSS | last step by graph |\n|---|---|---|---|---|---|---|---|\n");
    List<String[]> cases = new ArrayList<>();
    if (sources == null) {
      cases.addAll(List.of(new String[] {"draft-1", "pickscore", "phases", "folder"},
          new String[] {"draft-lv2", "pickscore", "", "folder"}, new String[] {"draft", "pickscore", "", "folder"},
          new String[] {"draft-1", "aesthetic", "", "folder"}));
    } else {
      for (String src : sources) {
        cases.add(new String[] {"draft-1", "pickscore", "", src});
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    for (String[] c : cases) {
      int n = c[0].equals("draft") || c[1].equals("aesthetic") ? 1 : steps;
      Map<String, Object> res = child(List.of("step", dir.toString(), c[0], c[1], String.valueOf(n), c[3], c[2]));
      results.add(res);
      @SuppressWarnings("unchecked")
      List<Number> st = (List<Number>) res.get("step_s");
      @SuppressWarnings("unchecked")
      Map<String, Number> by = (Map<String, Number>) res.get("last_step_by_graph_s");
      StringBuilder g = new StringBuilder();
      by.forEach((k, v) -> g.append(g.length() == 0 ? "" : "; ").append(k).append(' ')
          .append(String.format(Locale.ROOT, "%.1f s", v.doubleValue())));
      String row = String.format(Locale.ROOT, "| %s | %s | %s (%.1f s) | %d | %.1f s | %s | %.2f GB | %s |%n", c[0],
          c[1], c[3], num(res, "model_load_s"), n, st.get(0).doubleValue(), st.size() > 1 ? String.format(Locale.ROOT, "%.1f s", st.get(st.size() - 1)
              .doubleValue()) : "-", ((Number) res.get("peak_rss_step")).doubleValue() / 1e9, g);
      System.err.print(row);
      sb.append(row);
    }
    if (sources != null) {
      return sb.append('\n').toString();
    }
    Map<String, Object> ph = results.get(0);
    sb.append(String.format(Locale.ROOT, "%nPhases measured alone in the DRaFT-1 PickScore JVM after its steps"
        + " (second calls, batch 1): VAE decode 64² → 512² %.1f s, decode with its backward %.1f s (arena %.0f MB,"
        + " checkpointed: %s); PickScore-shaped reward on the 512² image (resize to 224, ViT-H/14, text tower)"
        + " %.1f s, with its backward %.1f s (arena %.0f MB, checkpointed: %s). Loading the folders: %.1f s.%n%n",
        num(ph, "decode_forward_s"), num(ph, "decode_with_gradient_s"), num(ph, "decode_gradient_arena") / 1e6,
        ph.get("decode_gradient_checkpointed"), num(ph, "reward_forward_s"), num(ph, "reward_with_gradient_s"),
        num(ph, "reward_gradient_arena") / 1e6, ph.get("reward_gradient_checkpointed"), num(ph, "load_s")));
    return sb.toString();
  }

  private static double num(Map<String, Object> r, String k) {
    Object v = r.get(k);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static Map<String, Object> child(List<String> args) throws IOException, InterruptedException {
    return ChildJvm.run(RealSizeStep.class, List.of("-Xmx8g", "-XX:+UseSerialGC"), args, RESULT);
  }

  /**
   * Child entry: {@code prepare DIR PART [tiny]}, {@code load DIR SOURCE} or
   * {@code step DIR OBJECTIVE REWARD STEPS SOURCE [phases]}.
   */
  public static void main(String[] args) throws IOException {
    // a child JVM is an entry point: its engine settings come from the -Ddraft4j.* flags it was started with
    org.draft4j.engine.ExecutionContext.setDefaultOptions(
        org.draft4j.engine.ExecutionOptions.fromProperties(System.getProperties()));
    Map<String, Object> r = new LinkedHashMap<>();
    if (args[0].equals("prepare")) {
      long t0 = System.nanoTime();
      prepare(Path.of(args[1]), args[2], args.length > 3 && args[3].equals("tiny"));
      r.put("prepare_s", (System.nanoTime() - t0) / 1e9);
    } else if (args[0].equals("load")) {
      long t0 = System.nanoTime();
      TextToImageModel m = loadModel(Path.of(args[1]), args[2]);
      r.put("load_s", (System.nanoTime() - t0) / 1e9);
      r.put("rss_after_load", Memory.residentBytes());
      r.put("peak_rss", Memory.peakResidentBytes());
      r.put("unet_parameters", m.unet().parameterCount());
    } else {
      r = step(Path.of(args[1]), args[2], args[3], Integer.parseInt(args[4]), args.length > 6
          && args[6].equals("phases"), args[5]);
    }
    System.out.println(RESULT + Json.write(r));
    System.exit(0);
  }
}
