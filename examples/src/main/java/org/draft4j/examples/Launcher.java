package org.draft4j.examples;

import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.draft4j.exec.ExecutionOptions;
import org.draft4j.io.SafetensorsException;
import org.draft4j.shapesworld.ShapesWorld;
import org.draft4j.train.CheckpointMismatchException;

/**
 * One entry point with subcommands ({@code demo}, {@code train}, {@code sample}, ...; {@code --help}
 * lists them) and two global flags, accepted anywhere on the line: {@code --threads N} (the engine's
 * worker threads; default: the machine's cores) and {@code --verbose} (stack traces on errors).
 *
 * <p>Exit status: 0 done; 2 bad input (a flag's value, a missing or damaged input file, a checkpoint of
 * another configuration), printed as one line {@code error: <message>}; 1 a failure while running;
 * 3 (demo) the reward did not improve on the evaluation seeds.
 */
public final class Launcher {
  /** Exit status of bad input. */
  static final int BAD_INPUT = 2;
  /** Exit status of a failure while running. */
  static final int FAILED = 1;

  private Launcher() {}

  interface Command {
    /** Runs the command; returns its exit status. */
    int run(String[] args) throws Exception;
  }

  interface VoidCommand {
    void run(String[] args) throws Exception;
  }

  private static final Map<String, String> HELP = new LinkedHashMap<>();
  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    add("demo", "fine-tune the ShapesWorld model with DRaFT-1 on the world's alignment + aesthetic reward; writes"
        + " grids, curve, LoRA, metrics, summary [--steps N] [--out DIR] [--seed S] [--reward NAME] [--model DIR]",
        Demo::run);
    add("train", "one fine-tuning run from flags or --config FILE (key = value lines); with --checkpoints DIR"
        + " [--checkpoint-every N, default 10] it is resumable: rerun the same command after an interruption and it"
        + " continues, bit for bit. Settings: " + TrainRun.KEYS,
        TrainRun::main);
    add("pretrain-shapes", "the whole ShapesWorld pretraining (v2): UNet warm-up, CLIP, UNet with the CLIP text"
        + " encoder, UNet under zero-terminal-SNR v-prediction with EMA, aesthetic head, evaluation (resumable)"
        + " [--out DIR] [--seed S] [--warmup-steps N] [--clip-steps N] [--unet-steps N] [--zero-snr-steps N]"
        + " [--eval-prompts N] [--export RESOURCES_DIR]", PretrainShapesWorld::main);
    add("pretrain-unet", "one UNet pretraining stage (resumable) [--out DIR] [--steps N] [--batch B] [--lr X]"
        + " [--seed S] [--checkpoint-every N] [--text-encoder CLIPDIR] [--init-unet CHECKPOINT]"
        + " [--schedule warmup|cosine] [--zero-snr true] [--ema D] [--eval-every N] [--export DIR]",
        PretrainUnet::main);
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
    add("bench", "benchmarks appended to docs/benchmarks.md [--only engine|sd15|sd15-step|sd15-unet|chain|throughput|soak]"
        + " [--steps N] [--batch LIST] [--models DIR] [--out FILE]", Bench::main);
    add("probe-background", "does the base model take its background from the seed? correlations and a shift"
        + " experiment on 64 samples", BackgroundProbe::main);
  }

  private static void add(String name, String help, Command c) {
    HELP.put(name, help);
    COMMANDS.put(name, c);
  }

  private static void add(String name, String help, VoidCommand c) {
    add(name, help, (Command) a -> {
      c.run(a);
      return 0;
    });
  }

  public static void main(String[] args) {
    int status = run(args, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs one command line and returns its exit status (see the class comment); errors are printed
   * to {@code err} as one line, with the stack trace after it under {@code --verbose}.
   */
  static int run(String[] args, PrintStream err) {
    List<String> rest = new ArrayList<>();
    boolean verbose = false;
    String threads = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--verbose")) {
        verbose = true;
      } else if (args[i].equals("--threads")) {
        if (i + 1 >= args.length) {
          err.println("error: --threads needs a value: an integer in [1, 256]");
          return BAD_INPUT;
        }
        threads = args[++i];
      } else {
        rest.add(args[i]);
      }
    }
    if (rest.isEmpty() || rest.get(0).equals("--help") || rest.get(0).equals("-h")) {
      System.out.println("usage: launcher <command> [flags] [--threads N] [--verbose]\ncommands:");
      HELP.forEach((k, v) -> System.out.printf("  %-19s %s%n", k, v));
      System.out.println("global flags: --threads N  worker threads of the execution engine (default: "
          + Runtime.getRuntime().availableProcessors() + ", this machine's cores); results are bit-reproducible"
          + " for a fixed N and native classifier\n              --verbose    print the stack trace of an error");
      return 0;
    }
    Command c = COMMANDS.get(rest.get(0));
    if (c == null) {
      err.println("error: unknown command \"" + rest.get(0) + "\"; commands: " + COMMANDS.keySet());
      return BAD_INPUT;
    }
    try {
      setThreads(threads);
      return c.run(rest.subList(1, rest.size()).toArray(new String[0]));
    } catch (Exception | OutOfMemoryError | StackOverflowError e) {
      int status = isBadInput(e) ? BAD_INPUT : FAILED;
      err.println("error: " + message(e));
      if (verbose) {
        e.printStackTrace(err);
      } else if (status == FAILED) {
        err.println("(run with --verbose for the stack trace)");
      }
      return status;
    }
  }

  /**
   * Sets the engine's worker count for this process: {@code --threads} when given, else a
   * {@code -Ddraft4j.threads} the user set, else the machine's cores.
   */
  private static void setThreads(String flag) {
    String prop = System.getProperty(ExecutionOptions.THREADS_PROPERTY);
    if (flag != null) {
      int n = FlagValues.integer(Map.of("threads", flag), "threads", 1, 1, 256);
      if (prop != null && !prop.strip().equals(String.valueOf(n))) {
        throw new IllegalArgumentException("--threads = " + n + " contradicts -D" + ExecutionOptions.THREADS_PROPERTY
            + "=" + prop + "; give one of them");
      }
      System.setProperty(ExecutionOptions.THREADS_PROPERTY, String.valueOf(n));
    } else if (prop == null) {
      System.setProperty(ExecutionOptions.THREADS_PROPERTY,
          String.valueOf(Math.min(256, Runtime.getRuntime().availableProcessors())));
    }
  }

  private static Throwable root(Throwable e) {
    Throwable t = e;
    while (t instanceof UncheckedIOException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static boolean isBadInput(Throwable e) {
    Throwable t = root(e);
    return t instanceof IllegalArgumentException || t instanceof SafetensorsException
        || t instanceof CheckpointMismatchException || t instanceof NoSuchFileException
        || t instanceof FileNotFoundException || t instanceof AccessDeniedException;
  }

  static String message(Throwable e) {
    Throwable t = root(e);
    if (t instanceof NoSuchFileException n) {
      return "no such file: " + n.getFile();
    }
    if (t instanceof AccessDeniedException a) {
      return "permission denied: " + a.getFile();
    }
    if (t instanceof OutOfMemoryError) {
      return "out of memory (" + t.getMessage() + "); try a smaller batch or a larger -Xmx";
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip().replace("\n", " ");
  }
}
