package org.draft4j.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.draft4j.io.Json;
import org.draft4j.spi.NoiseSource;

/**
 * A deterministic, position-addressed stream of prompts: {@link #prompt(long, long)} gives the prompt
 * at a global sample index for a seed, so a resumed run sees exactly the prompts it would have seen.
 */
@FunctionalInterface
public interface PromptSource {
  /** The prompt at sample index {@code i} for the trainer's seed. */
  String prompt(long index, long seed);

  /** Prompts {@code [start, start+n)}. */
  default List<String> batch(long start, int n, long seed) {
    List<String> l = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      l.add(prompt(start + i, seed));
    }
    return l;
  }

  /** A fixed list, reshuffled every epoch with the seed. */
  static PromptSource of(List<String> prompts) {
    checkArgument(!prompts.isEmpty(), "prompt list is empty");
    for (int i = 0; i < prompts.size(); i++) {
      checkArgument(prompts.get(i) != null, "prompt %s is null", i);
    }
    List<String> copy = List.copyOf(prompts);
    int n = copy.size();
    return (index, seed) -> {
      long epoch = index / n;
      int pos = (int) (index % n);
      int[] perm = new int[n];
      for (int i = 0; i < n; i++) {
        perm[i] = i;
      }
      SplittableRandom r = new SplittableRandom(NoiseSource.mix(seed, epoch, 0x50524F4DL));
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      return copy.get(perm[pos]);
    };
  }

  /** A text file, one prompt a line (blank lines skipped). */
  static PromptSource textFile(Path file) throws IOException {
    List<String> l = Files.readAllLines(file).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    checkArgument(!l.isEmpty(), "%s holds no prompts", file);
    return of(l);
  }

  /** A JSON-lines file, the prompt under {@code field} of each object. */
  static PromptSource jsonl(Path file, String field) throws IOException {
    List<String> l = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      Map<String, Object> o;
      try {
        o = Json.parseObject(line);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ":" + lineNo + ": " + e.getMessage(), e);
      }
      if (!(o.get(field) instanceof String s)) {
        throw new IllegalArgumentException(file + ":" + lineNo + ": no string field \"" + field + "\"");
      }
      l.add(s);
    }
    checkArgument(!l.isEmpty(), "%s holds no prompts", file);
    return of(l);
  }
}
