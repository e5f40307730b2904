package org.draft4j.examples;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;
import org.draft4j.examples.bench.BackgroundProbe;
import org.draft4j.examples.bench.Bench;
import org.draft4j.examples.bench.HfCrossCheckData;
import org.draft4j.examples.cli.Bounds;
import org.draft4j.examples.cli.Cli;
import org.draft4j.examples.cli.Failures;
import org.draft4j.examples.pretrain.PretrainAesthetic;
import org.draft4j.examples.pretrain.PretrainClip;
import org.draft4j.examples.pretrain.PretrainShapesWorld;
import org.draft4j.examples.pretrain.PretrainUnet;
import org.draft4j.examples.report.Results;
import org.draft4j.examples.sample.Export;
import org.draft4j.examples.sample.Mix;
import org.draft4j.examples.sample.Sample;
import org.draft4j.examples.train.Demo;
import org.draft4j.examples.train.TrainRun;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * One entry point with subcommands ({@code demo}, {@code train}, {@code sample}, ...; {@code --help}
 * lists them, {@code <command> --help} their options) and two global options, accepted anywhere on
 * the line: {@code --threads N} (the engine's worker threads; default: the machine's cores) and
 * {@code --verbose} (stack traces on errors). The commands are picocli commands whose options are
 * declared once, as annotated fields ({@link Cli}).
 *
 * <p>Exit status: 0 done; 2 bad input (an option's value, a missing or damaged input file, a checkpoint of
 * another configuration), printed as one line {@code error: <message>}; 1 a failure while running;
 * 3 (demo) the reward did not improve on the evaluation seeds; (train with {@code --checkpoints}) stopped by
 * SIGTERM or Ctrl-C, the checkpoint written at the next step boundary (the same command resumes).
 */
@Command(name = "draft4j", mixinStandardHelpOptions = true, versionProvider = Launcher.Version.class,
    description = "Fine-tunes text-to-image diffusion models with DRaFT and its relatives; the ShapesWorld world"
        + " ships with it.", subcommands = {Demo.class, TrainRun.class, Sample.class, Mix.class, Export.class,
          Results.class, PretrainShapesWorld.class, PretrainUnet.class, PretrainClip.class, PretrainAesthetic.class,
          Bench.class, HfCrossCheckData.class, BackgroundProbe.class})
public final class Launcher {
  /** Exit status of bad input. */
  static final int BAD_INPUT = 2;
  /** Exit status of a failure while running. */
  static final int FAILED = 1;

  @Option(names = "--threads", scope = ScopeType.INHERIT, description = "worker threads of the execution engine"
      + " (default: this machine's cores); results are bit-reproducible for a fixed N and native classifier")
  @Bounds(min = 1, max = 256)
  Integer threads;

  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "print the stack trace of an error")
  boolean verbose;

  Launcher() {}

  /** The version from the jar's manifest, or "development build". */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Launcher.class.getPackage().getImplementationVersion();
      return new String[] {"draft4j " + (v == null ? "(development build)" : v)};
    }
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
    Launcher top = new Launcher();
    CommandLine cl = new CommandLine(top);
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    CommandLine.ParseResult pr;
    try {
      pr = cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      return fail(e, Cli.message(e), BAD_INPUT, verbose, err);
    }
    if (CommandLine.printHelpIfRequested(pr)) {
      return 0;
    }
    CommandLine.ParseResult leaf = pr;
    while (leaf.subcommand() != null) {
      leaf = leaf.subcommand();
    }
    if (leaf == pr) {
      err.println("error: give a command; commands: " + cl.getSubcommands().keySet() + " (--help describes them)");
      return BAD_INPUT;
    }
    try {
      Cli.check(pr.commandSpec());
      Cli.check(leaf.commandSpec());
      // an inherited option may be given after the command: read it from the command's parse result
      configureEngine(leaf.matchedOptionValue("--threads", pr.matchedOptionValue("--threads", (Integer) null)));
      Object command = leaf.commandSpec().userObject();
      if (command instanceof Callable<?> c) {
        Object status = c.call();
        return status instanceof Integer i ? i : 0;
      }
      ((Runnable) command).run();
      return 0;
    } catch (Exception | OutOfMemoryError | StackOverflowError e) {
      return fail(e, Failures.message(e), Failures.isBadInput(e) ? BAD_INPUT : FAILED, verbose, err);
    }
  }

  private static int fail(Throwable e, String message, int status, boolean verbose, PrintStream err) {
    err.println("error: " + message);
    if (verbose) {
      e.printStackTrace(err);
    } else if (status == FAILED) {
      err.println("(run with --verbose for the stack trace)");
    }
    return status;
  }

  /**
   * Sets the engine's default options for this process, the one place the launcher's engine settings
   * are read: the {@code -Ddraft4j.*} properties ({@link ExecutionOptions#fromProperties}), with the
   * worker count from {@code --threads} when given, else a {@code -Ddraft4j.threads} the user set,
   * else the machine's cores.
   */
  private static void configureEngine(Integer flag) {
    ExecutionOptions options = ExecutionOptions.fromProperties(System.getProperties());
    String prop = System.getProperty(ExecutionOptions.THREADS_PROPERTY);
    int threads;
    if (flag != null) {
      threads = flag;
      if (prop != null && !prop.strip().equals(String.valueOf(threads))) {
        throw new IllegalArgumentException("--threads = " + threads + " contradicts -D"
            + ExecutionOptions.THREADS_PROPERTY + "=" + prop + "; give one of them");
      }
    } else if (prop == null) {
      threads = Math.min(256, Runtime.getRuntime().availableProcessors());
    } else {
      threads = options.threads();
    }
    ExecutionContext.setDefaultOptions(options.withThreads(threads));
  }
}
