package org.draft4j.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} command-line flags, refusing unknown names with the list of allowed ones. */
final class Flags {
  private Flags() {}

  static Map<String, String> parse(String[] args, String... allowed) {
    Map<String, String> m = new LinkedHashMap<>();
    List<String> ok = List.of(allowed);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got \"" + a + "\"; allowed: " + ok);
      }
      String k = a.substring(2);
      if (!ok.contains(k)) {
        throw new IllegalArgumentException("unknown flag --" + k + "; allowed: " + ok);
      }
      m.put(k, args[++i]);
    }
    return m;
  }
}
