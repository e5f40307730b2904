package org.draft4j.examples.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Choices;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.cli.ModelOptions;
import org.draft4j.io.Json;
import org.draft4j.io.SafetensorsDType;
import org.draft4j.lora.LoraAdapter;
import org.draft4j.lora.LoraExport;
import org.draft4j.models.TextToImageModel;
import org.draft4j.models.WeightsFormat;
import org.draft4j.models.ldm.StableDiffusionCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code export}: a model, with a trained LoRA merged into its UNet at a scale, written as a
 * diffusers folder or as a single-file SD 1.x checkpoint ({@code --out FILE.safetensors}) that
 * A1111 and ComfyUI load. The export's provenance (base model, LoRA file and its own provenance,
 * scale, weight type) is written beside a folder as {@code export_provenance.json} and into a single
 * file's metadata ({@code draft4j.export}).
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    description = "Write a model, with a LoRA merged at a scale, as a diffusers folder or a single-file SD 1.x"
        + " checkpoint (--out FILE.safetensors, for A1111 / ComfyUI).")
public final class Export implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--lora", description = "a LoRA file (diffusers/PEFT or kohya layout) to merge into the UNet"
      + " (default: none, the model as it is)")
  Path lora;

  @Option(names = "--scale", description = "the LoRA's strength in the merge (default: ${DEFAULT-VALUE})")
  @Bounds
  double scale = 1.0;

  @Option(names = "--out", required = true, description = "a folder (diffusers layout) or FILE.safetensors (a"
      + " single-file LDM checkpoint)")
  Path out;

  @Option(names = "--dtype", description = "weight type: fp32 | fp16 | bf16 (a folder names fp16 / bf16 files as"
      + " diffusers' variants do) (default: ${DEFAULT-VALUE})")
  @Choices({"fp32", "fp16", "bf16"})
  String dtype = "fp32";

  Export() {}

  @Override
  public Integer call() throws Exception {
    if (lora != null && !Files.isRegularFile(lora)) {
      throw new IllegalArgumentException("--lora = \"" + lora + "\": no such file");
    }
    if (lora == null && scale != 1.0) {
      throw new IllegalArgumentException("--scale = " + scale + " needs --lora FILE (what it scales)");
    }
    String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean single = name.endsWith(".safetensors");
    for (String ext : new String[] {".ckpt", ".pt", ".pth", ".bin"}) {
      if (name.endsWith(ext)) {
        throw Cli.bad("out", out.toString(), "a folder or FILE.safetensors (draft4j writes no pickles: A1111 and"
            + " ComfyUI load .safetensors)");
      }
    }
    if (!single && Files.isRegularFile(out)) {
      throw Cli.bad("out", out.toString(), "a folder, or a path ending in .safetensors for a single file");
    }
    TextToImageModel base = model.source().load();
    TextToImageModel m = base;
    Map<String, Object> prov = new LinkedHashMap<>();
    prov.put("base_model", base.id());
    if (lora != null) {
      LoraAdapter a = LoraAdapter.load(lora, "lora");
      m = LoraExport.merged(base, a, scale);
      prov.put("lora", lora.toAbsolutePath().toString());
      prov.put("lora_scale", scale);
      try (org.draft4j.io.SafetensorsFile f = org.draft4j.io.SafetensorsFile.open(lora)) {
        prov.put("lora_metadata", f.metadata());
      }
    }
    prov.put("dtype", dtype);
    prov.put("draft4j_version", org.draft4j.Version.VERSION);
    SafetensorsDType t = switch (dtype) {
      case "fp16" -> SafetensorsDType.F16;
      case "bf16" -> SafetensorsDType.BF16;
      default -> SafetensorsDType.F32;
    };
    if (single) {
      StableDiffusionCheckpoint.write(m, out, t, Map.of("draft4j.export", Json.write(prov)));
    } else {
      WeightsFormat f = switch (dtype) {
        case "fp16" -> WeightsFormat.fp16();
        case "bf16" -> WeightsFormat.bf16();
        default -> WeightsFormat.F32;
      };
      if (m.schedulerConfig().isEmpty()) {
        throw new IllegalArgumentException("--model " + base.id() + " has no scheduler config to write into the"
            + " folder");
      }
      m.save(out, f);
      org.draft4j.io.AtomicFiles.writeString(out.resolve("export_provenance.json"), Json.writePretty(prov));
    }
    System.out.println("wrote " + out.toAbsolutePath() + (lora == null ? "" : " (LoRA " + lora + " merged at scale "
        + scale + ")") + ", " + dtype);
    return 0;
  }
}
