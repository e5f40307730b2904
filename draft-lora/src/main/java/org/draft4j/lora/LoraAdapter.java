package org.draft4j.lora;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.draft4j.io.Safetensors;
import org.draft4j.io.SafetensorsFile;
import org.draft4j.nn.GraphBuilder;
import org.draft4j.models.UNet2DConditionConfig;
import org.draft4j.models.UNet2DConditionModel;
import org.draft4j.nn.Layer;
import org.draft4j.spi.Adapter;
import org.draft4j.spi.AdapterFormat;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A LoRA adapter: for each targeted linear layer, {@code y = W x + s·(α/r)·B(A x)}. Matrices are
 * created when the model graph is first built with this adapter attached (A from the seed and the
 * module name, so independent of build order; B zero), by {@link #initializeFor} from a UNet config
 * alone, or loaded from a file; {@link #setMatrices} and {@link #copyFrom} set them.
 */
public final class LoraAdapter implements Adapter {
  private final Lora spec;
  private final long seed;
  private final Map<String, INDArray> a = new LinkedHashMap<>();
  private final Map<String, INDArray> b = new LinkedHashMap<>();
  private final Map<String, Integer> kernels = new LinkedHashMap<>();
  private final boolean frozenSet;
  private double scale = 1.0;
  private boolean merged;
  /** The training step's dropout seed, or NaN outside training (no dropout). */
  private double dropoutSeed = Double.NaN;

  private final List<String> skippedTextEncoderKeys;

  LoraAdapter(Lora spec, long seed) {
    this.spec = spec;
    this.seed = seed;
    this.frozenSet = false;
    this.skippedTextEncoderKeys = List.of();
  }

  private LoraAdapter(Lora spec, Map<String, INDArray> a, Map<String, INDArray> b, List<String> skipped) {
    this.spec = spec;
    this.seed = 0;
    this.a.putAll(a);
    this.b.putAll(b);
    this.frozenSet = true;
    this.skippedTextEncoderKeys = List.copyOf(skipped);
  }

  /**
   * The text-encoder tensors that {@link #loadUnetPart} left out of this adapter (empty for adapters
   * created or loaded strictly).
   */
  public List<String> skippedTextEncoderKeys() {
    return skippedTextEncoderKeys;
  }

  public Lora spec() {
    return spec;
  }

  @Override
  public String name() {
    return spec.name();
  }

  @Override
  public double scale() {
    return scale;
  }

  @Override
  public void setScale(double scale) {
    checkArgument(Double.isFinite(scale), "LoRA scale %s must be finite", scale);
    checkArgument(!merged, "LoRA %s is merged; unmerge before changing its scale", spec.name());
    this.scale = scale;
  }

  private static final String NO_MODULES = "LoRA %s has no modules yet: its matrices are created per targeted layer"
      + " by initializeFor(unetConfig) or when a model graph is built with it";

  /**
   * Creates A and B for every layer this adapter targets in a UNet with {@code config}, without
   * model weights or a compiled graph ({@link UNet2DConditionModel#layers} builds the graph with
   * shapes only: seconds and megabytes even for SD 1.5), so the adapter can be listed, set, copied
   * or saved before a model exists. Modules already present are kept. Returns this adapter.
   */
  public LoraAdapter initializeFor(UNet2DConditionConfig config) {
    checkArgument(config != null, "config must not be null");
    UNet2DConditionModel.layers(config, List.of(this));
    checkArgument(!a.isEmpty(), "LoRA %s targets no layer of this UNet (targets: %s)", spec.name(),
        spec.targets().description());
    return this;
  }

  /**
   * Sets one module's matrices by copying {@code down} (A: {@code [r, in]}, or {@code [r, in, k, k]} for
   * a convolution) and {@code up} (B: {@code [out, r]} or {@code [out, r, 1, 1]}) into the adapter's
   * arrays, so graphs already built with this adapter see the new values. The module must exist
   * ({@link #initializeFor} or a built graph created it) and the shapes must be the ones it has.
   */
  public void setMatrices(String module, INDArray down, INDArray up) {
    checkArgument(!merged, "LoRA %s is merged; unmerge before setting its matrices", spec.name());
    checkArgument(!a.isEmpty(), NO_MODULES, spec.name());
    checkArgument(a.containsKey(module), "LoRA %s has no module \"%s\" (it has %s modules, e.g. %s)", spec.name(), module,
        a.size(), a.keySet().iterator().next());
    checkArgument(down != null && up != null, "module %s: down and up must not be null", module);
    INDArray am = a.get(module);
    INDArray bm = b.get(module);
    checkArgument(Arrays.equals(am.shape(), down.shape()), "module %s: down (A) has shape %s, the module needs %s",
        module, Arrays.toString(down.shape()), Arrays.toString(am.shape()));
    checkArgument(Arrays.equals(bm.shape(), up.shape()), "module %s: up (B) has shape %s, the module needs %s",
        module, Arrays.toString(up.shape()), Arrays.toString(bm.shape()));
    checkArgument(!down.isNaN().any() && !down.isInfinite().any() && !up.isNaN().any() && !up.isInfinite().any(),
        "module %s: matrices must be finite", module);
    am.assign(down.castTo(DataType.FLOAT));
    bm.assign(up.castTo(DataType.FLOAT));
  }

  /**
   * Copies every module of {@code other} into this adapter so that both add the same delta: A as it
   * is, B times {@code α_other / α} (the ranks must be equal). If this adapter has modules, both must
   * have the same ones; if it has none yet, it takes {@code other}'s.
   */
  public void copyFrom(LoraAdapter other) {
    checkArgument(other != null && other != this, "copyFrom needs another adapter");
    checkArgument(!merged, "LoRA %s is merged; unmerge before copying into it", spec.name());
    checkArgument(!other.a.isEmpty(), NO_MODULES, other.spec.name());
    checkArgument(other.spec.rank() == spec.rank(), "copyFrom: rank %s into rank %s; ranks must be equal",
        other.spec.rank(), spec.rank());
    if (!a.isEmpty()) {
      for (String m : other.a.keySet()) {
        checkArgument(a.containsKey(m), "copyFrom: module %s of %s is not in %s", m, other.spec.name(), spec.name());
      }
      for (String m : a.keySet()) {
        checkArgument(other.a.containsKey(m), "copyFrom: module %s of %s is not in %s", m, spec.name(),
            other.spec.name());
      }
    }
    double rescale = other.spec.alpha() / spec.alpha();
    for (String m : other.a.keySet()) {
      INDArray up = other.b.get(m).mul(rescale);
      if (a.containsKey(m)) {
        setMatrices(m, other.a.get(m), up);
      } else {
        a.put(m, other.a.get(m).dup());
        b.put(m, up);
        kernels.put(m, other.kernels.getOrDefault(m, other.a.get(m).rank() == 4 ? (int) other.a.get(m).size(2) : 1));
      }
    }
  }

  /** Modules adapted so far, with their A matrices {@code [r, in]}. */
  public Map<String, INDArray> downMatrices() {
    return java.util.Collections.unmodifiableMap(a);
  }

  /** Modules adapted so far, with their B matrices {@code [out, r]}. */
  public Map<String, INDArray> upMatrices() {
    return java.util.Collections.unmodifiableMap(b);
  }

  @Override
  public boolean appliesTo(Layer layer) {
    return frozenSet ? a.containsKey(layer.module()) : spec.targets().matches(layer);
  }

  private String var(String module, String which) {
    return spec.name() + "." + module + "." + which;
  }

  private String scaleName() {
    return spec.name() + ".scale";
  }

  /**
   * Linear: {@code Δ = s·(α/r)·(x Aᵀ) Bᵀ} with A {@code [r, in]}, B {@code [out, r]}. Convolution (kohya's
   * conv LoRA): A is a {@code [r, in, k, k]} convolution with the layer's stride and padding, B a 1×1
   * convolution {@code [out, r, 1, 1]}.
   */
  @Override
  public SDVariable delta(SameDiff sd, Layer layer, SDVariable input, GraphBuilder.ConvGeometry geometry) {
    String m = layer.module();
    int r = spec.rank();
    boolean conv = layer.kind() == Layer.Kind.CONV;
    int k = layer.kernel();
    long[] aShape = conv ? new long[] {r, layer.in(), k, k} : new long[] {r, layer.in()};
    long[] bShape = conv ? new long[] {layer.out(), r, 1, 1} : new long[] {layer.out(), r};
    INDArray am = a.computeIfAbsent(m, key -> initA(key, aShape));
    INDArray bm = b.computeIfAbsent(m, key -> Nd4j.zeros(DataType.FLOAT, bShape));
    checkArgument(Arrays.equals(am.shape(), aShape) && Arrays.equals(bm.shape(), bShape),
        "LoRA %s: A %s / B %s do not fit layer %s [%s -> %s, kernel %s] at rank %s (need A %s, B %s)", m,
        Arrays.toString(am.shape()), Arrays.toString(bm.shape()), m, layer.in(), layer.out(), k, r,
        Arrays.toString(aShape), Arrays.toString(bShape));
    kernels.put(m, k);
    String an = var(m, "lora_A.weight");
    String bn = var(m, "lora_B.weight");
    SDVariable av = sd.hasVariable(an) ? sd.getVariable(an) : sd.var(an, am);
    SDVariable bv = sd.hasVariable(bn) ? sd.getVariable(bn) : sd.var(bn, bm);
    SDVariable s = sd.hasVariable(scaleName()) ? sd.getVariable(scaleName())
        : sd.placeHolder(scaleName(), DataType.FLOAT, 1);
    if (spec.dropoutRate() > 0) {
      input = input.mul(dropoutMask(sd, input));
    }
    SDVariable up;
    if (conv) {
      GraphBuilder g = new GraphBuilder(sd, null, java.util.List.of());
      SDVariable down = g.convWith(input, av, k, geometry.stride(), geometry.padding());
      up = g.convWith(down, bv, 1, 1, 0);
    } else {
      up = sd.mmul(sd.mmul(input, av, false, true, false), bv, false, true, false);
    }
    return up.mul(s.mul(spec.alpha() / r));
  }

  private String dropoutSeedName() {
    return spec.name() + ".dropout_seed";
  }

  private String dropoutOnName() {
    return spec.name() + ".dropout_on";
  }

  /**
   * {@code on·m/(1−p) + (1−on)} with a counter-based pseudo-random mask: element i (row-major) of
   * the input keeps its value when {@code frac(43758.5453·sin(0.61803·i + seed)) ≥ p}. The mask is
   * a deterministic function of the shape and the fed seed (no random op), so recomputing a step
   * reproduces it exactly; it carries no gradient.
   */
  private SDVariable dropoutMask(SameDiff sd, SDVariable input) {
    SDVariable seedV = sd.hasVariable(dropoutSeedName()) ? sd.getVariable(dropoutSeedName())
        : sd.placeHolder(dropoutSeedName(), DataType.FLOAT, 1);
    SDVariable on = sd.hasVariable(dropoutOnName()) ? sd.getVariable(dropoutOnName())
        : sd.placeHolder(dropoutOnName(), DataType.FLOAT, 1);
    return dropoutMask(sd, input, seedV, spec.dropoutRate()).mul(on).add(on.rsub(1.0));
  }

  /** The mask {@code m/(1−p)} for {@code input}'s shape (see {@link #dropoutMask(SameDiff, SDVariable)}). */
  static SDVariable dropoutMask(SameDiff sd, SDVariable input, SDVariable seed, double p) {
    SDVariable shape = input.shape();
    SDVariable count = shape.prod(0).castTo(DataType.INT);
    SDVariable idx = sd.range(sd.constant(0), count, sd.constant(1), DataType.FLOAT);
    SDVariable h = sd.math.sin(idx.mul(0.61803).add(seed)).mul(43758.5453);
    SDVariable u = h.sub(sd.math.floor(h));
    return sd.math.floor(u.add(1 - p)).div(1 - p).reshape(shape);
  }

  /** Evaluates the dropout mask for a shape and a fed seed (for tests and inspection). */
  static INDArray dropoutMask(long[] shape, float seed, double p) {
    SameDiff sd = org.draft4j.engine.Graphs.create();
    SDVariable x = sd.placeHolder("x", DataType.FLOAT, shape);
    SDVariable s = sd.placeHolder("seed", DataType.FLOAT, 1);
    SDVariable m = dropoutMask(sd, x, s, p);
    return m.eval(Map.of("x", Nd4j.zeros(DataType.FLOAT, shape), "seed", Nd4j.createFromArray(new float[] {seed})));
  }

  private INDArray initA(String module, long[] shape) {
    Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + module.hashCode());
    long fanIn = 1;
    for (int i = 1; i < shape.length; i++) {
      fanIn *= shape[i];
    }
    float[] v = new float[(int) (shape[0] * fanIn)];
    for (int i = 0; i < v.length; i++) {
      v[i] = spec.initialization() == Lora.Init.GAUSSIAN ? (float) (rnd.nextGaussian() / spec.rank())
          : (float) ((rnd.nextDouble() * 2 - 1) / Math.sqrt(fanIn));
    }
    return Nd4j.create(v, shape, 'c');
  }

  /** {@code (α/r)·B·A} reshaped to the base weight's shape. */
  private INDArray weightDelta(String module, long[] weightShape) {
    INDArray am = a.get(module);
    INDArray bm = b.get(module);
    INDArray d = bm.reshape(bm.size(0), spec.rank()).mmul(am.reshape(spec.rank(), -1)).muli(spec.alpha() / spec.rank());
    return d.reshape(weightShape);
  }

  /**
   * Merges {@code scale·(α/r)·B·A} into the base weights in place ({@code params} are the model's
   * weights, e.g. {@code unet.parameters()}), then switches this adapter's graph delta off so the
   * output is unchanged. {@link #unmerge} restores the weights (up to float rounding).
   */
  public void merge(org.draft4j.nn.Parameters params) {
    checkArgument(!merged, "LoRA %s is already merged", spec.name());
    addDelta(params, scale);
    merged = true;
  }

  /** Subtracts what {@link #merge} added and switches the graph delta back on. */
  public void unmerge(org.draft4j.nn.Parameters params) {
    checkArgument(merged, "LoRA %s is not merged", spec.name());
    addDelta(params, -scale);
    merged = false;
  }

  /**
   * Adds {@code factor·(α/r)·B·A} to every targeted weight of {@code params} in place, leaving this
   * adapter's state (merged, scale) as it is: {@link #merge} with {@code factor} = the scale, and
   * {@link LoraExport#merged} into a copy of the weights.
   */
  void addDelta(org.draft4j.nn.Parameters params, double factor) {
    checkArgument(!a.isEmpty(), NO_MODULES, spec.name());
    for (String m : a.keySet()) {
      INDArray w = params.get(m + ".weight");
      w.addi(weightDelta(m, w.shape()).muli(factor).castTo(w.dataType()));
    }
  }

  /** Whether the adapter is merged into base weights. */
  public boolean isMerged() {
    return merged;
  }

  @Override
  public Map<String, INDArray> trainableParameters() {
    Map<String, INDArray> m = new LinkedHashMap<>();
    for (String k : a.keySet()) {
      m.put(var(k, "lora_A.weight"), a.get(k));
      m.put(var(k, "lora_B.weight"), b.get(k));
    }
    return m;
  }

  @Override
  public Map<String, INDArray> feeds(boolean enabled) {
    INDArray s = Nd4j.createFromArray(new float[] {enabled && !merged ? (float) scale : 0f});
    if (spec.dropoutRate() == 0) {
      return Map.of(scaleName(), s);
    }
    boolean on = !Double.isNaN(dropoutSeed);
    return Map.of(scaleName(), s, dropoutSeedName(), Nd4j.createFromArray(new float[] {on ? (float) dropoutSeed : 0f}),
        dropoutOnName(), Nd4j.createFromArray(new float[] {on ? 1f : 0f}));
  }

  @Override
  public void beginTrainingStep(long stepSeed) {
    dropoutSeed = Math.floorMod(stepSeed, 100_003L) * 0.01;
  }

  @Override
  public void endTrainingStep() {
    dropoutSeed = Double.NaN;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Map<String, Object> config() {
    return org.draft4j.io.Json.mapper().convertValue(hyperparameters(), LinkedHashMap.class);
  }

  /** The adapter's hyperparameters as a record (its {@link #config()} is this record's JSON). */
  public Config hyperparameters() {
    return new Config("lora", spec.rank(), spec.alpha(), spec.targets().description(),
        spec.targets().patterns().stream().map(java.util.regex.Pattern::pattern).toList(), spec.initialization().name(),
        spec.dropoutRate(), seed);
  }

  /**
   * LoRA's hyperparameters: rank r, alpha α (the delta is scaled by α/r), the targeted modules (a
   * description and the name patterns), the initialization of A, the dropout rate on the input and
   * the seed A was drawn from.
   */
  public record Config(String adapter, int rank, double alpha, String targets,
      @com.fasterxml.jackson.annotation.JsonProperty("target_patterns") java.util.List<String> targetPatterns,
      String init, double dropout, long seed) {}

  /**
   * Metadata key of the trained alpha of a diffusers-layout file whose B matrices hold (α/r)·B; on
   * load B is divided by α/r again and the adapter gets its trained alpha back.
   */
  static final String FOLDED_ALPHA = "draft4j.lora_alpha_folded_into_B";

  /** Tensor key of a module's down (A) / up (B) matrix in a format. */
  static String key(LoraFormat f, String module, boolean down) {
    return switch (f) {
      case DIFFUSERS -> "unet." + module + (down ? ".lora_A.weight" : ".lora_B.weight");
      case KOHYA -> "lora_unet_" + module.replace('.', '_') + (down ? ".lora_down.weight" : ".lora_up.weight");
    };
  }

  @Override
  public void save(Path path, AdapterFormat format, Map<String, String> provenance) {
    checkArgument(format instanceof LoraFormat, "LoRA cannot be saved as %s; use LoraFormat", format.name());
    checkArgument(!a.isEmpty(), NO_MODULES, spec.name());
    LoraFormat f = (LoraFormat) format;
    // diffusers' and PEFT's loaders read no alpha from a file (they apply B·A at scale 1): fold
    // α/r into B so that they apply the adapter at the strength it was trained with
    double fold = f == LoraFormat.DIFFUSERS ? spec.alpha() / spec.rank() : 1.0;
    Map<String, INDArray> t = new LinkedHashMap<>();
    for (String m : a.keySet()) {
      t.put(key(f, m, true), a.get(m));
      t.put(key(f, m, false), fold == 1.0 ? b.get(m) : b.get(m).mul(fold));
      if (f == LoraFormat.KOHYA) {
        t.put("lora_unet_" + m.replace('.', '_') + ".alpha", Nd4j.scalar((float) spec.alpha()));
      }
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("draft4j.format", f.name());
    meta.put("lora_rank", String.valueOf(spec.rank()));
    // the alpha that goes with the tensors as stored (= rank once folded), and the trained one
    meta.put("lora_alpha", String.valueOf(fold == 1.0 ? spec.alpha() : (double) spec.rank()));
    if (fold != 1.0) {
      meta.put(FOLDED_ALPHA, String.valueOf(spec.alpha()));
    }
    config().forEach((k, v) -> {
      if (!k.equals("adapter")) { // the file's own layout says it is LoRA
        meta.put("draft4j.lora." + k, String.valueOf(v));
      }
    });
    if (provenance != null) {
      meta.putAll(provenance);
    }
    Safetensors.write(path, t, meta);
  }

  /**
   * Loads a LoRA file in either layout (detected from its keys). Rank comes from the matrices,
   * alpha from the metadata or kohya's {@code .alpha} tensors (default: rank). A file that also
   * holds text-encoder tensors ({@code text_encoder.…}, {@code lora_te_…}, as most kohya LoRAs do) is
   * refused with a message naming the first such key: draft4j applies LoRA to the UNet only, and
   * {@link #loadUnetPart} loads the UNet part when that is what the caller wants.
   */
  public static LoraAdapter load(Path path, String name) {
    return read(path, name, false);
  }

  /**
   * Loads the UNet tensors of a LoRA file and leaves out its text-encoder tensors, listed by
   * {@link #skippedTextEncoderKeys()} (sampling with such an adapter differs from the original
   * tool's, which also adapts the text encoder).
   */
  public static LoraAdapter loadUnetPart(Path path, String name) {
    return read(path, name, true);
  }

  /** Key prefixes of text-encoder LoRA tensors in the diffusers/PEFT and kohya layouts (SD 1.x and SDXL). */
  static final List<String> TEXT_ENCODER_PREFIXES = List.of("text_encoder.", "text_encoder_2.", "lora_te_",
      "lora_te1_", "lora_te2_");

  private static LoraAdapter read(Path path, String name, boolean skipTextEncoder) {
    try (SafetensorsFile f = SafetensorsFile.open(path)) {
      Map<String, INDArray> a = new LinkedHashMap<>();
      Map<String, INDArray> b = new LinkedHashMap<>();
      Double alpha = f.metadata().containsKey("lora_alpha") ? Double.valueOf(f.metadata().get("lora_alpha")) : null;
      String alphaKey = null;
      Integer rank = null;
      List<String> skipped = new ArrayList<>();
      for (String k : f.keys()) {
        if (TEXT_ENCODER_PREFIXES.stream().anyMatch(k::startsWith)) {
          checkArgument(skipTextEncoder, "%s: key \"%s\" is a text-encoder LoRA tensor; draft4j applies LoRA to the"
              + " UNet only. LoraAdapter.loadUnetPart(path, name) loads the UNet tensors and leaves out the"
              + " text encoder's", path, k);
          skipped.add(k);
          continue;
        }
        String module;
        boolean down;
        if (k.startsWith("unet.") && (k.endsWith(".lora_A.weight") || k.endsWith(".lora_B.weight"))) {
          module = k.substring(5, k.length() - ".lora_A.weight".length());
          down = k.endsWith(".lora_A.weight");
        } else if (k.startsWith("lora_unet_") && (k.endsWith(".lora_down.weight") || k.endsWith(".lora_up.weight"))) {
          down = k.endsWith(".lora_down.weight");
          String flat = k.substring(10, k.length() - (down ? ".lora_down.weight" : ".lora_up.weight").length());
          module = KohyaNames.toModule(flat, path + ": key \"" + k + "\"");
        } else if (k.startsWith("lora_unet_") && k.endsWith(".alpha")) {
          double v = f.get(k).getFloat(0);
          // one adapter has one alpha: kohya files repeat it per module, and a file whose modules
          // disagree cannot be represented faithfully
          checkArgument(alphaKey == null || alpha == v, "%s: key \"%s\" has alpha %s but \"%s\" has %s; draft4j"
              + " adapters have one alpha for all modules", path, k, v, alphaKey, alpha);
          alpha = v;
          alphaKey = k;
          continue;
        } else {
          throw new IllegalArgumentException(path + ": key \"" + k + "\" is neither diffusers/PEFT "
              + "(unet.<module>.lora_A|lora_B.weight) nor kohya (lora_unet_<module>.lora_down|lora_up.weight|alpha)");
        }
        INDArray arr = f.get(k);
        checkArgument(arr.rank() == 2 || arr.rank() == 4,
            "%s: key \"%s\" has %s dimensions; LoRA tensors are 2-D (linear) or 4-D (conv)", path, k, arr.rank());
        int r = (int) (down ? arr.size(0) : arr.size(1));
        if (rank == null) {
          rank = r;
        }
        checkArgument(rank == r, "%s: key \"%s\" has rank %s but earlier keys have rank %s", path, k, r, rank);
        (down ? a : b).put(module, arr);
      }
      checkArgument(rank != null, "%s: no UNet LoRA tensors found%s", path,
          skipped.isEmpty() ? "" : " (" + skipped.size() + " text-encoder tensors only)");
      for (String m : a.keySet()) {
        checkArgument(b.containsKey(m), "%s: module %s has a down/A matrix but no up/B matrix", path, m);
      }
      for (String m : b.keySet()) {
        checkArgument(a.containsKey(m), "%s: module %s has an up/B matrix but no down/A matrix", path, m);
      }
      String folded = f.metadata().get(FOLDED_ALPHA);
      if (folded != null) {
        double trained;
        try {
          trained = Double.parseDouble(folded);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(path + ": metadata " + FOLDED_ALPHA + " = \"" + folded
              + "\" is not a number");
        }
        checkArgument(trained > 0 && Double.isFinite(trained), "%s: metadata %s = %s must be a positive number", path,
            FOLDED_ALPHA, folded);
        double unfold = rank / trained;
        b.replaceAll((m, up) -> up.mul(unfold));
        alpha = trained;
      }
      Lora spec = Lora.rank(rank).alpha(alpha != null ? alpha : rank).named(name);
      return new LoraAdapter(spec, a, b, skipped);
    }
  }
}
