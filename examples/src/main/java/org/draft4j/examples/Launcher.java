package org.draft4j.examples;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** One entry point with subcommands: {@code demo}, {@code pretrain-shapes}; {@code --help} lists them. */
public final class Launcher {
  private Launcher() {}

  interface Command {
    void run(String[] args) throws Exception;
  }

  private static final Map<String, String> HELP = new LinkedHashMap<>();
  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    add("demo", "fine-tune the ShapesWorld model with DRaFT-1 on the world's alignment + aesthetic reward; writes"
        + " grids, curve, LoRA, metrics, summary [--steps N] [--out DIR] [--seed S] [--reward NAME] [--model DIR]",
        Demo::main);
    add("train", "one fine-tuning run from flags or --config FILE (key = value lines): " + TrainRun.KEYS,
        TrainRun::main);
    add("pretrain-shapes", "the whole ShapesWorld pretraining: UNet warm-up, CLIP, UNet with the CLIP text"
        + " encoder, aesthetic head, evaluation (resumable) [--out DIR] [--seed S] [--warmup-steps N] [--clip-steps N]"
        + " [--unet-steps N] [--eval-prompts N] [--export RESOURCES_DIR]", PretrainWorld::main);
    add("pretrain-unet", "one UNet pretraining stage (resumable) [--out DIR] [--steps N] [--batch B] [--lr X]"
        + " [--seed S] [--checkpoint-every N] [--text-encoder CLIPDIR] [--init-unet CHECKPOINT]"
        + " [--schedule warmup|cosine] [--export DIR]", PretrainShapes::main);
    add("pretrain-clip", "train the ShapesWorld CLIP (resumable) [--out DIR] [--steps N] [--batch B] [--lr X]"
        + " [--seed S] [--checkpoint-every N] [--export DIR]", PretrainClip::main);
    add("pretrain-aesthetic", "train the ShapesWorld aesthetic head on a CLIP's features [--clip DIR] [--out DIR]"
        + " [--images N] [--steps N] [--seed S]", PretrainAesthetic::main);
    add("sample", "prompts x seeds -> PNG grid [--out FILE] [--prompts FILE] [--count N] [--seeds N] [--steps N]"
        + " [--guidance G] [--lora FILE,...] [--scale S,...] [--model DIR] [--oracle true]", Sample::main);
    add("mix", "interpolate LoRA adapters: rows (1-w)A + wB, or A at scale w [--a FILE] [--b FILE] [--weights LIST]"
        + " [--prompts N] [--steps N] [--guidance G] [--out FILE] [--model DIR]", Mix::main);
    add("results", "run the DRaFT-family comparison on ShapesWorld and write docs/results.md [--runs DIR] [--seeds N]"
        + " [--steps N] [--only LIST] [--report FILE] [--no-report true]", Results::main);
    add("hf-crosscheck-data", "write the shipped models' token ids, text-encoder states and CLIP features for"
        + " examples/scripts/hf_crosscheck.py [--out FILE] [--count N]", HfCrossCheckData::main);
    add("bench", "benchmarks appended to docs/benchmarks.md [--only engine|sd15|sd15-unet|chain|throughput|soak] [--steps N]"
        + " [--batch LIST] [--out FILE]", Bench::main);
  }

  private static void add(String name, String help, Command c) {
    HELP.put(name, help);
    COMMANDS.put(name, c);
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.println("usage: launcher <command> [flags]\ncommands:");
      HELP.forEach((k, v) -> System.out.printf("  %-19s %s%n", k, v));
      return;
    }
    Command c = COMMANDS.get(args[0]);
    if (c == null) {
      System.err.println("unknown command \"" + args[0] + "\"; commands: " + COMMANDS.keySet());
      System.exit(2);
    }
    c.run(Arrays.copyOfRange(args, 1, args.length));
  }
}
