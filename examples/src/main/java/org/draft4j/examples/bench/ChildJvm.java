package org.draft4j.examples.bench;

import org.draft4j.engine.ExecutionContext;
import org.draft4j.engine.ExecutionOptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.draft4j.io.Json;

/**
 * Runs a benchmark case in a fresh JVM on this JVM's classpath (so its peak RSS is its own) and
 * returns the JSON object it prints after {@code resultPrefix}; a failure names the case and shows
 * the last 40 lines it printed.
 */
final class ChildJvm {
  private ChildJvm() {}

  static Map<String, Object> run(Class<?> main, List<String> jvmFlags, List<String> args, String resultPrefix)
      throws IOException, InterruptedException {
    return run(main, jvmFlags, Map.of(), args, resultPrefix);
  }

  /**
   * As {@link #run(Class, List, List, String)} with {@code env} applied to this process's environment:
   * a variable mapped to null is removed.
   */
  static Map<String, Object> run(Class<?> main, List<String> jvmFlags, Map<String, String> env, List<String> args,
      String resultPrefix) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // the child's engine workers are this process's, unless the caller gives its own
    if (jvmFlags.stream().noneMatch(a -> a.startsWith("-D" + ExecutionOptions.THREADS_PROPERTY + "="))) {
      cmd.add("-D" + ExecutionOptions.THREADS_PROPERTY + "=" + ExecutionContext.defaultOptions().threads());
    }
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    Process p = pb.start();
    Map<String, Object> result = null;
    ArrayDeque<String> tail = new ArrayDeque<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(resultPrefix)) {
          result = Json.parseObject(line.substring(resultPrefix.length()));
        } else {
          tail.addLast(line);
          if (tail.size() > 40) {
            tail.removeFirst();
          }
        }
      }
    }
    int code = p.waitFor();
    if (code != 0 || result == null) {
      throw new IllegalStateException(main.getSimpleName() + " child " + args + " failed with exit code " + code
          + ":\n" + String.join("\n", tail));
    }
    return result;
  }
}
