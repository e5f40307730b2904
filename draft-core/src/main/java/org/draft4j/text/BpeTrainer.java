package org.draft4j.text;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Learns a CLIP-format BPE vocabulary from a corpus: words (lower-cased, split on whitespace and
 * punctuation as CLIP does) start as byte-level characters with {@code </w>} on the last one; the
 * most frequent adjacent pair is merged repeatedly (ties broken by the pair's text, so the result is
 * deterministic). The vocabulary is laid out as CLIP's: 256 byte characters, the same with
 * {@code </w>}, one token per merge, then {@code <|startoftext|>} and {@code <|endoftext|>}.
 */
public final class BpeTrainer {
  private BpeTrainer() {}

  /** A learned vocabulary: merges in rank order ("a b") and token ids. */
  public record Vocabulary(List<String> merges, Map<String, Integer> vocab) {
    /** merges.txt content in Hugging Face's format. */
    public String mergesTxt() {
      return "#version: 0.2\n" + String.join("\n", merges) + "\n";
    }

    /** vocab.json content. */
    public String vocabJson() {
      return org.draft4j.io.Json.write(vocab);
    }

    /** A tokenizer over this vocabulary. */
    public ClipTokenizer tokenizer(int maxLength) {
      return new ClipTokenizer(vocab, merges, maxLength);
    }
  }

  /** Learns at most {@code maxMerges} merges from the corpus. */
  public static Vocabulary learn(Iterable<String> corpus, int maxMerges) {
    checkArgument(maxMerges >= 0, "maxMerges = %s must be >= 0", maxMerges);
    String[] enc = ClipTokenizer.bytesToUnicode();
    Map<List<String>, Integer> words = new HashMap<>();
    java.util.regex.Pattern pat = java.util.regex.Pattern.compile("[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+");
    for (String line : corpus) {
      java.util.regex.Matcher m = pat.matcher(line.strip().toLowerCase(Locale.ROOT));
      while (m.find()) {
        List<String> w = new ArrayList<>();
        byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
          String c = enc[bytes[i] & 0xff];
          w.add(i == bytes.length - 1 ? c + "</w>" : c);
        }
        words.merge(w, 1, Integer::sum);
      }
    }
    List<String> merges = new ArrayList<>();
    for (int k = 0; k < maxMerges; k++) {
      Map<String, Integer> pairs = new TreeMap<>();
      for (Map.Entry<List<String>, Integer> e : words.entrySet()) {
        List<String> w = e.getKey();
        for (int i = 0; i + 1 < w.size(); i++) {
          pairs.merge(w.get(i) + " " + w.get(i + 1), e.getValue(), Integer::sum);
        }
      }
      String best = null;
      int bestCount = 1;
      for (Map.Entry<String, Integer> e : pairs.entrySet()) {
        if (e.getValue() > bestCount) {
          best = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (best == null) {
        break;
      }
      merges.add(best);
      String[] ab = best.split(" ");
      Map<List<String>, Integer> next = new HashMap<>();
      for (Map.Entry<List<String>, Integer> e : words.entrySet()) {
        List<String> w = e.getKey();
        List<String> nw = new ArrayList<>();
        for (int i = 0; i < w.size(); ) {
          if (i + 1 < w.size() && w.get(i).equals(ab[0]) && w.get(i + 1).equals(ab[1])) {
            nw.add(ab[0] + ab[1]);
            i += 2;
          } else {
            nw.add(w.get(i));
            i++;
          }
        }
        next.merge(nw, e.getValue(), Integer::sum);
      }
      words = next;
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    // CLIP orders the byte characters by code point (printable bytes first, the remapped ones after)
    String[] ordered = enc.clone();
    java.util.Arrays.sort(ordered, java.util.Comparator.comparingInt(x -> x.codePointAt(0)));
    for (String c : ordered) {
      vocab.put(c, vocab.size());
    }
    for (String c : ordered) {
      vocab.put(c + "</w>", vocab.size());
    }
    for (String m : merges) {
      vocab.putIfAbsent(m.replace(" ", ""), vocab.size());
    }
    vocab.put(ClipTokenizer.BOS, vocab.size());
    vocab.put(ClipTokenizer.EOS, vocab.size());
    return new Vocabulary(merges, vocab);
  }
}
