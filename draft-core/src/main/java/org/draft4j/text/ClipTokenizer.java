package org.draft4j.text;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.draft4j.io.Json;

/**
 * CLIP's byte-level BPE tokenizer (OpenAI {@code simple_tokenizer} / Hugging Face
 * {@code CLIPTokenizer}) over {@code vocab.json} + {@code merges.txt}: whitespace collapsed and
 * lower-cased text is split by CLIP's pattern, each piece is mapped to byte-level unicode with
 * {@code </w>} marking the word end, then merged by rank. Sequences are
 * {@code <|startoftext|> … <|endoftext|>}, truncated to {@link #maxLength()} and padded with the
 * pad token ({@code <|endoftext|>} for SD 1.x).
 */
public final class ClipTokenizer {
  /** Start token. */
  public static final String BOS = "<|startoftext|>";
  /** End token (also the SD 1.x pad token). */
  public static final String EOS = "<|endoftext|>";
  private static final Pattern PAT = Pattern.compile(
      "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
      Pattern.CASE_INSENSITIVE);

  private final Map<String, Integer> vocab;
  private final Map<String, Integer> ranks;
  private final List<String> merges;
  private final String[] byteEncoder = bytesToUnicode();
  private final Map<String, List<String>> cache = new ConcurrentHashMap<>();
  private final int maxLength;
  private final int bos;
  private final int eos;
  private final int pad;

  /**
   * @param vocab token to id
   * @param merges merge pairs in rank order, each "a b"
   * @param maxLength sequence length (77 for CLIP)
   */
  public ClipTokenizer(Map<String, Integer> vocab, List<String> merges, int maxLength) {
    checkArgument(maxLength >= 2, "maxLength = %s must be at least 2", maxLength);
    checkArgument(vocab.containsKey(BOS) && vocab.containsKey(EOS), "vocabulary lacks %s or %s", BOS, EOS);
    this.vocab = Map.copyOf(vocab);
    Map<String, Integer> r = new HashMap<>();
    for (int i = 0; i < merges.size(); i++) {
      r.putIfAbsent(merges.get(i), i);
    }
    this.ranks = r;
    this.merges = List.copyOf(merges);
    this.maxLength = maxLength;
    this.bos = vocab.get(BOS);
    this.eos = vocab.get(EOS);
    this.pad = eos;
  }

  /** Reads Hugging Face's tokenizer folder files: {@code vocab.json} and {@code merges.txt}. */
  public static ClipTokenizer load(Path vocabJson, Path mergesTxt, int maxLength) throws IOException {
    return new ClipTokenizer(readVocab(Files.readString(vocabJson)), readMerges(Files.readString(mergesTxt)), maxLength);
  }

  /** The resource holding OpenAI CLIP's BPE merges (MIT License, Copyright (c) 2021 OpenAI), as open_clip ships it. */
  static final String OPENAI_BPE = "bpe_simple_vocab_16e6.txt.gz";

  /**
   * OpenAI CLIP's tokenizer (49,408 tokens, the one SD 1.x, CLIP ViT-L/14, PickScore, HPSv2 and
   * open_clip use), built from the BPE file bundled in this jar as OpenAI's {@code simple_tokenizer}
   * builds it: the 256 byte symbols, the same with {@code </w>}, one token per merge (the first
   * 48,894 lines after the header), then {@code <|startoftext|>} and {@code <|endoftext|>}.
   */
  public static ClipTokenizer openAi(int maxLength) {
    List<String> merges = new ArrayList<>();
    try (java.io.InputStream raw = ClipTokenizer.class.getResourceAsStream(OPENAI_BPE)) {
      if (raw == null) {
        throw new IllegalStateException("resource " + OPENAI_BPE + " is missing from the draft-core jar");
      }
      java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
          new java.util.zip.GZIPInputStream(raw), StandardCharsets.UTF_8));
      r.readLine(); // the version header
      int wanted = 49152 - 256 - 2;
      for (String line; merges.size() < wanted && (line = r.readLine()) != null; ) {
        merges.add(line);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read the bundled " + OPENAI_BPE, e);
    }
    String[] table = bytesToUnicode();
    List<String> symbols = new ArrayList<>();
    for (int b : byteOrder()) {
      symbols.add(table[b]);
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String s : symbols) {
      vocab.put(s, vocab.size());
    }
    for (String s : symbols) {
      vocab.put(s + "</w>", vocab.size());
    }
    for (String m : merges) {
      vocab.put(m.replace(" ", ""), vocab.size());
    }
    vocab.put(BOS, vocab.size());
    vocab.put(EOS, vocab.size());
    return new ClipTokenizer(vocab, merges, maxLength);
  }

  /** The bytes in the order of {@code bytes_to_unicode()}'s keys: the printable ranges, then the rest ascending. */
  private static List<Integer> byteOrder() {
    List<Integer> bs = printableBytes();
    for (int b = 0; b < 256; b++) {
      if (!bs.contains(b)) {
        bs.add(b);
      }
    }
    return bs;
  }


  /** Parses vocab.json content. */
  public static Map<String, Integer> readVocab(String json) {
    Map<String, Integer> v = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : Json.parseObject(json).entrySet()) {
      v.put(e.getKey(), ((Number) e.getValue()).intValue());
    }
    return v;
  }

  /** Parses merges.txt content (a {@code #version} header line is skipped). */
  public static List<String> readMerges(String text) {
    List<String> m = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#version") || line.isBlank()) {
        continue;
      }
      m.add(line.strip());
    }
    return m;
  }

  public int maxLength() {
    return maxLength;
  }

  /** Token to id (unmodifiable). */
  Map<String, Integer> vocabulary() {
    return vocab;
  }

  /** Hugging Face's {@code vocab.json} content: every token and its id, in id order. */
  public String vocabJson() {
    Map<String, Integer> byId = new LinkedHashMap<>();
    vocab.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> byId.put(e.getKey(), e.getValue()));
    return Json.write(byId);
  }

  /** Hugging Face's {@code merges.txt} content: a version header, then the merges in rank order. */
  public String mergesTxt() {
    return "#version: 0.2\n" + String.join("\n", merges) + "\n";
  }

  public int vocabSize() {
    return vocab.size();
  }

  public int bosId() {
    return bos;
  }

  public int eosId() {
    return eos;
  }

  /** Ids with start and end tokens, neither truncated nor padded. */
  public List<Integer> encode(String text) {
    List<Integer> ids = new ArrayList<>();
    ids.add(bos);
    String clean = text.strip().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT);
    Matcher m = PAT.matcher(clean);
    while (m.find()) {
      String piece = m.group();
      StringBuilder u = new StringBuilder();
      for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
        u.append(byteEncoder[b & 0xff]);
      }
      for (String tok : bpe(u.toString())) {
        Integer id = vocab.get(tok);
        if (id == null) {
          throw new IllegalStateException("token \"" + tok + "\" of \"" + text + "\" is not in the vocabulary");
        }
        ids.add(id);
      }
    }
    ids.add(eos);
    return ids;
  }

  /** Ids truncated (keeping the end token) and padded to {@link #maxLength()}. */
  public int[] encodePadded(String text) {
    List<Integer> ids = encode(text);
    if (ids.size() > maxLength) {
      ids = new ArrayList<>(ids.subList(0, maxLength - 1));
      ids.add(eos);
    }
    int[] out = new int[maxLength];
    java.util.Arrays.fill(out, pad);
    for (int i = 0; i < ids.size(); i++) {
      out[i] = ids.get(i);
    }
    return out;
  }

  private List<String> bpe(String token) {
    return cache.computeIfAbsent(token, this::bpeUncached);
  }

  private List<String> bpeUncached(String token) {
    List<String> word = new ArrayList<>();
    int[] cps = token.codePoints().toArray();
    for (int i = 0; i < cps.length; i++) {
      String c = new String(Character.toChars(cps[i]));
      word.add(i == cps.length - 1 ? c + "</w>" : c);
    }
    while (word.size() > 1) {
      int best = Integer.MAX_VALUE;
      int at = -1;
      for (int i = 0; i + 1 < word.size(); i++) {
        Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
        if (r != null && r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) {
        break;
      }
      String a = word.get(at);
      String b = word.get(at + 1);
      List<String> next = new ArrayList<>();
      for (int i = 0; i < word.size(); ) {
        if (i + 1 < word.size() && word.get(i).equals(a) && word.get(i + 1).equals(b)) {
          next.add(a + b);
          i += 2;
        } else {
          next.add(word.get(i));
          i++;
        }
      }
      word = next;
    }
    return word;
  }

  /** The bytes GPT-2/CLIP map to themselves: {@code !}…{@code ~}, ¡…¬, ®…ÿ. */
  private static List<Integer> printableBytes() {
    List<Integer> bs = new ArrayList<>();
    for (int i = '!'; i <= '~'; i++) {
      bs.add(i);
    }
    for (int i = 0xA1; i <= 0xAC; i++) {
      bs.add(i);
    }
    for (int i = 0xAE; i <= 0xFF; i++) {
      bs.add(i);
    }
    return bs;
  }

  /** GPT-2/CLIP's reversible byte → printable unicode character table. */
  public static String[] bytesToUnicode() {
    List<Integer> bs = printableBytes();
    String[] table = new String[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      if (bs.contains(b)) {
        table[b] = new String(Character.toChars(b));
      } else {
        table[b] = new String(Character.toChars(256 + n));
        n++;
      }
    }
    return table;
  }

}
