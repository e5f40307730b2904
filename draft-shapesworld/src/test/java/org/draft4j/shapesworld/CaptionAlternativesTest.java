package org.draft4j.shapesworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each alternative states the caption's scene with exactly one attribute changed. */
class CaptionAlternativesTest {
  @Test
  void everyAlternativeChangesOneAttribute() {
    for (int i = 0; i < 300; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(5, i);
      List<String> alts = CaptionAlternatives.of(s.caption());
      String why = "\"" + s.caption() + "\" -> " + alts;
      boolean two = s.shapes().size() == 2;
      // one shape: 4 kinds + 1 size + 7 colours + 7 backgrounds; two: 2 x 4 kinds + 3 x 7 colours
      assertEquals(two ? 29 : 19, alts.size(), why);
      assertTrue(alts.size() <= CaptionAlternatives.MAX, why);
      assertEquals(alts.size(), new HashSet<>(alts).size(), why);
      assertFalse(alts.contains(s.caption()), why);
      ShapesOracle.Target t = ShapesOracle.parse(s.caption());
      int[] changedBy = new int[4];
      for (String a : alts) {
        assertFalse(a.contains("five-pointed") && !a.contains("five-pointed star"), a);
        if (two) {
          continue;
        }
        ShapesOracle.Target u = ShapesOracle.parse(a);
        int changed = 0;
        if (u.background() != t.background()) {
          changed++;
          changedBy[0]++;
        }
        if (u.color() != t.color()) {
          changed++;
          changedBy[1]++;
        }
        if (u.kind() != t.kind()) {
          changed++;
          changedBy[2]++;
        }
        if (u.size() != t.size()) {
          changed++;
          changedBy[3]++;
        }
        assertEquals(1, changed, why + ": " + a);
        assertEquals(1, u.shapes(), a);
      }
      if (!two) {
        assertEquals(List.of(7, 7, 4, 1), List.of(changedBy[0], changedBy[1], changedBy[2], changedBy[3]), why);
      }
    }
  }

  @Test
  void replacesWholeSynonyms() {
    List<String> alts = CaptionAlternatives.of("a huge blue five-pointed star over red");
    // in the order of the caption's words: size, colour, kind, background
    assertEquals("a small blue five-pointed star over red", alts.get(0));
    assertEquals("a huge red five-pointed star over red", alts.get(1));
    assertEquals(List.of("a huge blue circle over red", "a huge blue square over red", "a huge blue triangle over red",
        "a huge blue ring over red"), alts.subList(8, 12));
    assertEquals("a huge blue five-pointed star over black", alts.get(18));
    assertEquals(List.of(), CaptionAlternatives.of("nothing to change here"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaptionAlternatives.of(null));
    assertTrue(e.getMessage().contains("caption"), e.getMessage());
  }

  @Test
  void kindAlternativesAreTheKindChangesOnly() {
    for (int i = 0; i < 300; i++) {
      ShapesWorld.Scene s = ShapesWorld.scene(5, i);
      List<String> kinds = CaptionAlternatives.kinds(s.caption());
      String why = "\"" + s.caption() + "\" -> " + kinds;
      assertEquals(4 * s.shapes().size(), kinds.size(), why);
      assertTrue(kinds.size() <= CaptionAlternatives.MAX_KINDS, why);
      // the same captions, in the same order, as the kind changes among all alternatives
      List<String> all = CaptionAlternatives.of(s.caption());
      assertEquals(all.stream().filter(kinds::contains).toList(), kinds, why);
      if (s.shapes().size() == 1) {
        ShapesOracle.Target t = ShapesOracle.parse(s.caption());
        for (String a : kinds) {
          ShapesOracle.Target u = ShapesOracle.parse(a);
          assertTrue(u.kind() != t.kind() && u.color() == t.color() && u.size() == t.size()
              && u.background() == t.background(), why + ": " + a);
        }
      }
    }
    assertEquals(List.of("a huge blue circle over red", "a huge blue square over red", "a huge blue triangle over red",
        "a huge blue ring over red"), CaptionAlternatives.kinds("a huge blue five-pointed star over red"));
    assertEquals(List.of(), CaptionAlternatives.kinds("a plain red background"));
  }
}
