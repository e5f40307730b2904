package org.draft4j.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.draft4j.io.TensorStore;

/**
 * Finds and opens the weights of one component of a model folder ({@code unet/}, {@code text_encoder/},
 * a CLIP folder's top) in diffusers' and transformers' own order of preference:
 * <ol>
 *   <li>{@code S.safetensors}, then the shard index {@code S.safetensors.index.json};
 *   <li>{@code B.bin}, then {@code B.bin.index.json} (PyTorch {@code torch.save} files),
 * </ol>
 * where {@code S}/{@code B} are {@code diffusion_pytorch_model} for diffusers models and
 * {@code model}/{@code pytorch_model} for transformers models. A {@code variant} ("fp16", "bf16",
 * "ema", …) is inserted before the last dot of each name, as both libraries' {@code _add_variant}
 * does: {@code diffusion_pytorch_model.fp16.safetensors},
 * {@code diffusion_pytorch_model.safetensors.index.fp16.json}. A missing variant, or a folder whose
 * only weights are variants when none was asked for, is an error listing what the folder holds.
 * Weights stored as F16 or BF16 are widened to float32 as they are read.
 */
public final class WeightFiles {
  private WeightFiles() {}

  /** The file-name stems of a component kind. */
  public enum Naming {
    /** diffusers models: {@code diffusion_pytorch_model.safetensors} / {@code .bin}. */
    DIFFUSERS("diffusion_pytorch_model", "diffusion_pytorch_model"),
    /** transformers models: {@code model.safetensors} / {@code pytorch_model.bin}. */
    TRANSFORMERS("model", "pytorch_model");

    private final String safetensorsStem;
    private final String binStem;

    Naming(String safetensorsStem, String binStem) {
      this.safetensorsStem = safetensorsStem;
      this.binStem = binStem;
    }
  }

  /**
   * The candidate file names of a component, most preferred first.
   *
   * @param variant null or empty for the plain weights
   */
  public static List<String> candidates(Naming naming, String variant) {
    List<String> names = new ArrayList<>();
    names.add(withVariant(naming.safetensorsStem + ".safetensors", variant));
    names.add(withVariant(naming.safetensorsStem + ".safetensors.index.json", variant));
    names.add(withVariant(naming.binStem + ".bin", variant));
    names.add(withVariant(naming.binStem + ".bin.index.json", variant));
    return names;
  }

  /** {@code name} with {@code variant} before its last dot ({@code a.b.json} → {@code a.b.fp16.json}). */
  static String withVariant(String name, String variant) {
    if (variant == null || variant.isEmpty()) {
      return name;
    }
    int dot = name.lastIndexOf('.');
    return name.substring(0, dot) + "." + variant + name.substring(dot);
  }

  /** The first candidate present in {@code sub} (a folder path relative to the model folder, "" for its top). */
  public static Optional<String> find(ModelFolder folder, String sub, Naming naming, String variant) {
    for (String n : candidates(naming, variant)) {
      String rel = join(sub, n);
      if (folder.exists(rel)) {
        return Optional.of(rel);
      }
    }
    return Optional.empty();
  }

  /**
   * Opens the preferred weights file of {@code sub}; the caller closes it. Fails, naming the folder,
   * the names tried and the files present, when none is there.
   */
  public static TensorStore open(ModelFolder folder, String sub, Naming naming, String variant) {
    checkVariant(variant);
    Optional<String> rel = find(folder, sub, naming, variant);
    if (rel.isPresent()) {
      return folder.openWeights(rel.get());
    }
    List<String> present = folder.list(sub);
    String where = folder.location(sub.isEmpty() ? "." : sub);
    StringBuilder msg = new StringBuilder(where).append(": no weights file");
    if (variant != null && !variant.isEmpty()) {
      msg.append(" of variant \"").append(variant).append('"');
    }
    msg.append("; looked for ").append(candidates(naming, variant));
    if (!present.isEmpty()) {
      msg.append("; the folder holds ").append(present);
      List<String> variants = variantsPresent(present, naming);
      if (!variants.isEmpty()) {
        msg.append("; variants present: ").append(variants).append(" (ask for one by name)");
      }
    }
    throw new IllegalArgumentException(msg.toString());
  }

  /** The variants of the component's weights among {@code files} ({@code fp16} of {@code model.fp16.safetensors}). */
  static List<String> variantsPresent(List<String> files, Naming naming) {
    List<String> found = new ArrayList<>();
    for (String f : files) {
      for (String stem : new String[] {naming.safetensorsStem, naming.binStem}) {
        for (String ext : new String[] {".safetensors", ".bin"}) {
          String v = null;
          if (f.startsWith(stem + ".") && f.endsWith(ext) && f.length() > stem.length() + 1 + ext.length()) {
            v = f.substring(stem.length() + 1, f.length() - ext.length());
          } else if (f.startsWith(stem + ext + ".index.") && f.endsWith(".json")
              && f.length() > (stem + ext + ".index.").length() + ".json".length()) {
            v = f.substring((stem + ext + ".index.").length(), f.length() - ".json".length());
          }
          if (v != null && !v.isEmpty() && !v.contains(".") && !v.contains("-of-") && !found.contains(v)) {
            found.add(v);
          }
        }
      }
    }
    return found;
  }

  static void checkVariant(String variant) {
    if (variant != null && !variant.matches("[A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("variant = \"" + variant + "\": must be letters, digits or _ (such as fp16)");
    }
  }

  private static String join(String sub, String name) {
    return sub.isEmpty() ? name : sub + "/" + name;
  }
}
