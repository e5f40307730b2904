package org.draft4j.shapesworld;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The captions that differ from a ShapesWorld caption in one attribute word: each shape word
 * replaced by the other four kinds, each size word by the other size, each colour word (a shape's or
 * the background's) by the other seven colours. "a small red star on a blue background" has 19:
 * "a small red circle on a blue background", …, "a large red star on a blue background", "a small
 * green star on a blue background", …, "a small red star on a green background", …. Replacements
 * use each attribute's first word ("five-pointed star" becomes "circle", not "five-pointed
 * circle"). These are the alternatives of {@link ShapesWorldModel#contrastiveAlignment()}.
 */
public final class CaptionAlternatives {
  /** The most alternatives a caption of the world has (two shapes: 2 × 4 kinds + 3 × 7 colours). */
  public static final int MAX = 2 * (ShapesWorld.SHAPES.length - 1) + 3 * (ShapesWorld.COLORS.length - 1);
  /** The most kind alternatives a caption of the world has (two shapes × 4 other kinds). */
  public static final int MAX_KINDS = 2 * (ShapesWorld.SHAPES.length - 1);

  private static final Pattern WORD = Pattern.compile("[a-z-]+");

  private CaptionAlternatives() {}

  /**
   * The alternatives of {@code caption}, in the order of its words, without repeats and without
   * the caption itself; empty for a caption with no attribute word.
   */
  public static List<String> of(String caption) {
    return alternatives(caption, true);
  }

  /**
   * The alternatives of {@code caption} that replace a shape word by another kind ("a small red star
   * on a blue background" has 4), in the order of its words; empty for a caption without a shape.
   * These are the alternatives of {@link ShapesWorldModel#kindContrastiveAlignment()}.
   */
  public static List<String> kinds(String caption) {
    return alternatives(caption, false);
  }

  private static List<String> alternatives(String caption, boolean sizesAndColours) {
    if (caption == null) {
      throw new IllegalArgumentException("caption must not be null");
    }
    String c = caption.toLowerCase(Locale.ROOT);
    List<int[]> spans = new ArrayList<>();
    Matcher m = WORD.matcher(c);
    while (m.find()) {
      spans.add(new int[] {m.start(), m.end()});
    }
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < spans.size(); i++) {
      String w = c.substring(spans.get(i)[0], spans.get(i)[1]);
      int kind = ShapesOracle.kind(w);
      int color = ShapesOracle.color(w);
      int size = ShapesOracle.size(w);
      // a kind word replaces its whole synonym ("five-pointed star")
      int from = kind >= 0 && i > 0 && c.substring(spans.get(i - 1)[0], spans.get(i - 1)[1]).equals("five-pointed")
          ? spans.get(i - 1)[0] : spans.get(i)[0];
      int to = spans.get(i)[1];
      if (kind >= 0) {
        for (int k = 0; k < ShapesWorld.SHAPES.length; k++) {
          if (k != kind) {
            out.add(c.substring(0, from) + ShapesWorld.SHAPES[k] + c.substring(to));
          }
        }
      } else if (!sizesAndColours) {
        continue;
      } else if (size >= 0) {
        out.add(c.substring(0, from) + ShapesWorld.SIZES[1 - size] + c.substring(to));
      } else if (color >= 0) {
        for (int k = 0; k < ShapesWorld.COLORS.length; k++) {
          if (k != color) {
            out.add(c.substring(0, from) + ShapesWorld.COLORS[k] + c.substring(to));
          }
        }
      }
    }
    out.remove(c);
    out.remove(caption);
    return List.copyOf(out);
  }
}
