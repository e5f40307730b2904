package org.draft4j.examples.cli;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The launcher's option rules on top of picocli: every option is declared once, as an annotated
 * field ({@code @Option} with its description and default, plus {@link Bounds} or {@link Choices});
 * this class checks the given values against those declarations and turns picocli's parse errors
 * into one line that names the option, the value and what is allowed
 * ({@code --steps = "ten": must be an integer >= 1}, {@code unknown flag --stpes; allowed: [...]}).
 */
public final class Cli {
  private Cli() {}

  /**
   * Parses {@code args} into {@code command}'s options, checks them and runs it: how one command
   * calls another with a command line (a pipeline stage). Bad input is an {@link
   * IllegalArgumentException} with the one-line message.
   */
  public static int run(Callable<Integer> command, String... args) throws Exception {
    parse(command, args);
    return command.call();
  }

  /** Parses and checks {@code args} into {@code command}'s annotated options; returns its spec. */
  public static CommandSpec parse(Object command, String... args) {
    CommandLine cl = new CommandLine(command);
    try {
      cl.parseArgs(args);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(message(e), e);
    }
    check(cl.getCommandSpec());
    return cl.getCommandSpec();
  }

  /** Checks the options given to a parsed command against their {@link Bounds} and {@link Choices}. */
  public static void check(CommandSpec spec) {
    CommandLine.ParseResult pr = spec.commandLine().getParseResult();
    for (OptionSpec o : spec.options()) {
      if (pr == null || !pr.hasMatchedOption(o) || !(o.userObject() instanceof Field f)) {
        continue;
      }
      Object v = o.getValue();
      String given = original(o);
      Bounds b = f.getAnnotation(Bounds.class);
      if (b != null && v instanceof Number n) {
        double x = n.doubleValue();
        boolean integral = v instanceof Integer || v instanceof Long;
        if (!Double.isFinite(x) || x < b.min() || (b.minExclusive() && x == b.min()) || x > b.max()) {
          throw bad(o, given, integral ? integer(b) : number(b));
        }
      }
      Choices c = f.getAnnotation(Choices.class);
      if (c != null && v != null && !List.of(c.value()).contains(v.toString())) {
        throw bad(o, given, "one of " + List.of(c.value()));
      }
    }
  }

  /** The options given on a parsed command line, by name without dashes, in the order given. */
  public static Map<String, String> given(CommandSpec spec) {
    Map<String, String> m = new LinkedHashMap<>();
    CommandLine.ParseResult pr = spec.commandLine().getParseResult();
    for (OptionSpec o : pr.matchedOptions()) {
      if (!o.usageHelp() && !o.versionHelp() && o.scopeType() != CommandLine.ScopeType.INHERIT) {
        m.put(name(o), original(o));
      }
    }
    return m;
  }

  /** Settings by name as a command line: {@code --name value --name value ...}. */
  public static String flags(Map<String, String> given) {
    StringBuilder sb = new StringBuilder();
    given.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append("--").append(k).append(' ').append(v));
    return sb.toString();
  }

  /** An option's long name without its dashes ({@code --eval-every} → {@code eval-every}). */
  static String name(OptionSpec o) {
    return o.longestName().replaceFirst("^-+", "");
  }

  /** The names (without dashes) of a command's options, help options excluded. */
  public static List<String> names(CommandSpec spec) {
    return spec.options().stream().filter(o -> !o.usageHelp() && !o.versionHelp()).map(Cli::name).toList();
  }

  /** The one-line message of a parse error. */
  public static String message(ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException u) {
      CommandSpec spec = u.getCommandLine().getCommandSpec();
      String arg = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().get(0);
      if (!arg.startsWith("-") && !spec.subcommands().isEmpty()) {
        return "unknown command \"" + arg + "\"; commands: " + spec.subcommands().keySet();
      }
      if (!arg.startsWith("-")) {
        return "expected --name value pairs, got \"" + arg + "\"; allowed: " + flags(spec);
      }
      return "unknown flag " + arg.replaceFirst("=.*", "") + "; allowed: " + flags(spec);
    }
    if (e instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()
        && m.getMissing().get(0) instanceof OptionSpec o) {
      return o.longestName() + " needs a value: " + what(o);
    }
    if (e.getArgSpec() instanceof OptionSpec o && e.getValue() != null) {
      return bad(o, e.getValue(), what(o)).getMessage();
    }
    return e.getMessage();
  }

  private static List<String> flags(CommandSpec spec) {
    return names(spec).stream().map(n -> "--" + n).toList();
  }

  private static String original(OptionSpec o) {
    List<String> l = o.originalStringValues();
    return l.isEmpty() ? String.valueOf(o.getValue()) : l.get(l.size() - 1);
  }

  /** What an option allows, from its type and declarations. */
  static String what(OptionSpec o) {
    Field f = o.userObject() instanceof Field x ? x : null;
    Bounds b = f == null ? null : f.getAnnotation(Bounds.class);
    Choices c = f == null ? null : f.getAnnotation(Choices.class);
    Class<?> t = o.type();
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
      return b == null ? "an integer" : integer(b);
    }
    if (t == double.class || t == Double.class) {
      return b == null ? "a number" : number(b);
    }
    if (t == boolean.class || t == Boolean.class) {
      return "true or false";
    }
    if (c != null) {
      return "one of " + List.of(c.value());
    }
    if (t == java.nio.file.Path.class) {
      return "a path";
    }
    return "a value";
  }

  /** {@code --name = "value": must be <allowed>}. */
  static IllegalArgumentException bad(OptionSpec o, String value, String allowed) {
    return bad(name(o), value, allowed);
  }

  /** {@code --name = "value": must be <allowed>}. */
  public static IllegalArgumentException bad(String name, String value, String allowed) {
    return new IllegalArgumentException("--" + name + " = \"" + value + "\": must be " + allowed);
  }

  /** "an integer >= 1", "an integer in [1, 4096]". */
  public static String integer(double min, double max) {
    if (max >= Integer.MAX_VALUE) {
      return min <= Integer.MIN_VALUE ? "an integer" : "an integer >= " + fmt(min);
    }
    return "an integer in [" + fmt(min) + ", " + fmt(max) + "]";
  }

  private static String integer(Bounds b) {
    return integer(b.minExclusive() ? b.min() + 1 : b.min(), b.max());
  }

  private static String number(Bounds b) {
    if (b.max() == Double.MAX_VALUE) {
      return b.min() == -Double.MAX_VALUE ? "a finite number" : "a number " + (b.minExclusive() ? "> " : ">= ")
          + fmt(b.min());
    }
    return "a number in " + (b.minExclusive() ? "(" : "[") + fmt(b.min()) + ", " + fmt(b.max()) + "]";
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
  }

  /** Comma-separated finite numbers given to {@code --flag}. */
  public static double[] numbers(String flag, String s) {
    String[] p = s.split(",");
    double[] w = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      try {
        w[i] = Double.parseDouble(p[i].strip());
      } catch (NumberFormatException e) {
        w[i] = Double.NaN;
      }
      if (!Double.isFinite(w[i])) {
        throw new IllegalArgumentException("--" + flag + " = \"" + s + "\": \"" + p[i] + "\" is not a finite number;"
            + " give comma-separated numbers");
      }
    }
    return w;
  }
}
