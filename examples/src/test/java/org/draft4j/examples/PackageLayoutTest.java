package org.draft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module's layout as examples/README.md draws it, read from the compiled classes (every class
 * a class file names, annotation values included): each package imports only the packages below
 * it, and no two classes reach each other.
 */
class PackageLayoutTest {
  private static final String ROOT = "org.draft4j.examples";

  /** What each package may import within the module (the root, the launcher, may import all). */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      "cli", Set.of(),
      "custom", Set.of(),
      "support", Set.of(),
      "train", Set.of("cli", "custom", "support"),
      "sample", Set.of("cli", "support"),
      "report", Set.of("cli", "support", "train", "sample"),
      "pretrain", Set.of("cli", "support"),
      "bench", Set.of("cli", "support"));

  private static final Pattern NAME = Pattern.compile("org/draft4j/examples/(?:[a-z]\\w*/)*[A-Z][\\w$]*");

  /** The top-level classes of the module and the module's top-level classes each one names. */
  private static Map<String, Set<String>> classGraph() throws IOException {
    Path classes;
    try {
      classes = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    assertTrue(Files.isDirectory(classes), "expected the module's classes folder, got " + classes);
    Map<String, Set<String>> g = new TreeMap<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String self = topLevel(classes.relativize(f).toString().replace('\\', '/').replaceFirst("\\.class$", ""));
        Set<String> to = g.computeIfAbsent(self, k -> new TreeSet<>());
        Matcher m = NAME.matcher(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        while (m.find()) {
          String other = topLevel(m.group());
          if (!other.equals(self)) {
            to.add(other);
          }
        }
      }
    }
    return g;
  }

  private static String topLevel(String internalName) {
    return internalName.replaceFirst("\\$.*", "").replace('/', '.');
  }

  /** The subpackage of {@code cls} below the root, "" for the root. */
  private static String pkg(String cls) {
    String p = cls.substring(0, cls.lastIndexOf('.'));
    return p.equals(ROOT) ? "" : p.substring(ROOT.length() + 1);
  }

  @Test
  void eachPackageImportsOnlyWhatTheReadmeAllows() throws IOException {
    Map<String, Set<String>> g = classGraph();
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Set<String>> e : g.entrySet()) {
      String from = pkg(e.getKey());
      if (from.isEmpty()) {
        continue;
      }
      Set<String> allowed = ALLOWED.get(from);
      if (allowed == null) {
        wrong.add(e.getKey() + ": package " + from + " is not in the layout");
        continue;
      }
      for (String to : e.getValue()) {
        String p = pkg(to);
        if (!p.equals(from) && !allowed.contains(p)) {
          wrong.add(e.getKey() + " -> " + to);
        }
      }
    }
    assertEquals(List.of(), wrong, "imports against the layout in examples/README.md");
    assertTrue(g.get(ROOT + ".Launcher").contains(ROOT + ".train.TrainRun"), "the launcher's commands are read");
  }

  @Test
  void noTwoClassesReachEachOther() throws IOException {
    Map<String, Set<String>> g = classGraph();
    List<List<String>> loops = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    for (String v : g.keySet()) {
      if (!index.containsKey(v)) {
        strongComponents(v, g, index, low, stack, loops);
      }
    }
    assertEquals(List.of(), loops, "classes that import each other, directly or around a loop");
  }

  /** Tarjan's strongly connected components from {@code v}; components of two or more go to {@code loops}. */
  private static void strongComponents(String v, Map<String, Set<String>> g, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, List<List<String>> loops) {
    index.put(v, index.size());
    low.put(v, index.get(v));
    stack.push(v);
    for (String w : g.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        strongComponents(w, g, index, low, stack, loops);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (stack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      List<String> c = new ArrayList<>();
      String w;
      do {
        w = stack.pop();
        c.add(w);
      } while (!w.equals(v));
      if (c.size() > 1) {
        loops.add(c.stream().sorted().toList());
      }
    }
  }
}
