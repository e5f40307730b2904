package org.draft4j.examples.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ImagesTest {
  @TempDir Path dir;

  private static final String LONG = "two shapes: a dark green five-pointed star left of a pale yellow rounded"
      + " rectangle, both of them tiny, on a deep purple background with a thin magenta border around everything"
      + " and some more words that cannot possibly fit in three lines of a narrow caption";

  /** A black row of {@code n} 8×8 images. */
  private static INDArray black(int n) {
    return Nd4j.zeros(n, 3, 8, 8);
  }

  private static boolean background(BufferedImage img, int x0, int x1, int y0, int y1) {
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        if ((img.getRGB(x, y) & 0xffffff) != (Images.BACKGROUND.getRGB() & 0xffffff)) {
          return false;
        }
      }
    }
    return true;
  }

  /** The first row whose pixels are the images' black, at column x. */
  private static int firstBlack(BufferedImage img, int x) {
    for (int y = 0; y < img.getHeight(); y++) {
      if ((img.getRGB(x, y) & 0xffffff) == 0) {
        return y;
      }
    }
    return -1;
  }

  @Test
  void captionStripIsDrawnAboveTheRowAndLongCaptionsAreElided() throws Exception {
    int zoom = 3;
    int cell = 8 * zoom + Images.PAD;
    BufferedImage plain = new Images.Grid(zoom).row(black(3), "base", List.of()).render();
    // a long caption over column 0 only; columns 1 and 2 have none
    BufferedImage captioned = new Images.Grid(zoom)
        .row(black(3), "base", List.of(new Images.Caption(0, 1, LONG))).render();
    assertEquals(plain.getWidth(), captioned.getWidth());
    int strip = captioned.getHeight() - plain.getHeight();
    assertTrue(strip >= Images.FONT_SIZE, "the strip adds " + strip + " px");
    int labelW = plain.getWidth() - 3 * cell;
    int imagesTop = firstBlack(captioned, labelW + cell + 2); // column 1: no caption above it
    assertEquals(firstBlack(plain, labelW + cell + 2) + strip, imagesTop, "the images moved down by the strip");
    // text in the strip over column 0, nothing over columns 1 and 2 (the long caption did not overflow)
    assertFalse(background(captioned, labelW, labelW + cell - Images.PAD, 0, imagesTop - 2), "no caption drawn");
    assertTrue(background(captioned, labelW + cell, captioned.getWidth(), 0, imagesTop - 2),
        "the caption overflowed its column");
    // the strip holds at most CAPTION_LINES lines
    FontMetrics fm = plain.createGraphics().getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, Images.FONT_SIZE));
    assertTrue(strip <= Images.CAPTION_LINES * fm.getHeight() + Images.PAD + 3, "strip " + strip);

    Path png = dir.resolve("grid.png");
    new Images.Grid(zoom).title("a title").columnLabels(List.of("seed 1", "seed 2", "seed 3"))
        .row(black(3), null, Images.byPrompt(List.of("a red circle", "a red circle", "a blue square")))
        .row(black(3), "after", List.of()).write(png);
    BufferedImage read = ImageIO.read(png.toFile());
    assertTrue(read.getHeight() > plain.getHeight() * 2, "title, labels, strip and two rows");
    assertTrue(Files.size(png) > 0);
  }

  @Test
  void fitWrapsAtSpacesAndElidesWhatDoesNotFit() {
    FontMetrics fm = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics()
        .getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, Images.FONT_SIZE));
    int width = 70;
    List<String> lines = Images.fit(LONG, fm, width, 3);
    assertEquals(3, lines.size(), lines.toString());
    for (String l : lines) {
      assertTrue(fm.stringWidth(l) <= width, "\"" + l + "\" is " + fm.stringWidth(l) + " px wide");
    }
    assertTrue(lines.get(2).endsWith("\u2026") || lines.get(2).endsWith("..."), lines.toString());
    assertTrue(LONG.startsWith(lines.get(0) + " "), lines.toString());
    // a short caption is one untouched line; a word wider than the line is broken inside
    assertEquals(List.of("a red circle"), Images.fit("a red circle", fm, 400, 3));
    List<String> broken = Images.fit("abcdefghijklmnopqrstuvwxyz", fm, 40, 5);
    assertEquals("abcdefghijklmnopqrstuvwxyz", String.join("", broken));
    broken.forEach(l -> assertTrue(fm.stringWidth(l) <= 40, l));
    assertEquals(List.of(), Images.fit("x", fm, 1, 3));
  }

  @Test
  void byPromptGroupsRunsOfEqualPrompts() {
    assertEquals(List.of(new Images.Caption(0, 2, "a"), new Images.Caption(2, 3, "b"), new Images.Caption(3, 5, "a")),
        Images.byPrompt(List.of("a", "a", "b", "a", "a")));
  }
}
