package org.draft4j.examples.support;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PNG grids of image batches ({@code [B,3,H,W]} in [0,1]) that a reader understands without the
 * code: an optional title line, optional column labels, and per row an optional label on the left
 * (a model, a LoRA scale, a reward) and a caption strip above it naming the prompt of each group of
 * columns (wrapped to at most {@link #CAPTION_LINES} lines, the rest elided with "…").
 */
public final class Images {
  /** The text's point size: readable at the grids' 3× zoom of 32-pixel images. */
  public static final int FONT_SIZE = 13;
  /** Lines a caption may take before the rest is elided. */
  public static final int CAPTION_LINES = 3;
  /** Pixels between images. */
  static final int PAD = 4;
  static final Color BACKGROUND = Color.WHITE;
  private static final Color FRAME = new Color(200, 200, 200);
  /** Extra pixels above a caption strip that is not the grid's first row. */
  private static final int GAP = 8;
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, FONT_SIZE);
  private static final Font BOLD = FONT.deriveFont(Font.BOLD);

  private Images() {}

  /**
   * Writes a grid: one row per batch, one column per image, each image upscaled by {@code zoom}
   * (nearest), with a label left of each row and no captions.
   */
  public static void grid(Path file, List<INDArray> rows, List<String> labels, int zoom) throws IOException {
    Grid g = new Grid(zoom);
    for (int r = 0; r < rows.size(); r++) {
      g.row(rows.get(r), labels.get(r), List.of());
    }
    g.write(file);
  }

  /** A caption over columns {@code [from, to)} of its row. */
  public record Caption(int from, int to, String text) {
    public Caption {
      if (from < 0 || to <= from) {
        throw new IllegalArgumentException("caption columns [" + from + ", " + to + ") are empty");
      }
    }
  }

  /** Captions for a row whose image {@code i} was sampled from {@code prompts.get(i)}: one per run of equal prompts. */
  public static List<Caption> byPrompt(List<String> prompts) {
    List<Caption> l = new ArrayList<>();
    int from = 0;
    for (int i = 1; i <= prompts.size(); i++) {
      if (i == prompts.size() || !prompts.get(i).equals(prompts.get(from))) {
        l.add(new Caption(from, i, prompts.get(from)));
        from = i;
      }
    }
    return l;
  }

  /**
   * {@code text} broken at spaces into lines no wider than {@code width} (a word wider than a line is
   * broken inside), at most {@code maxLines} of them; what does not fit is elided: the last line ends
   * with "…" and is still no wider than {@code width}. Empty when not even "…" fits.
   */
  public static List<String> fit(String text, FontMetrics fm, int width, int maxLines) {
    String ellipsis = fm.getFont().canDisplay('\u2026') ? "\u2026" : "...";
    if (maxLines < 1 || fm.stringWidth(ellipsis) > width) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    String line = "";
    for (String word : text.strip().split("\\s+")) {
      String joined = line.isEmpty() ? word : line + " " + word;
      if (fm.stringWidth(joined) <= width) {
        line = joined;
        continue;
      }
      if (!line.isEmpty()) {
        lines.add(line);
      }
      line = word;
      while (fm.stringWidth(line) > width) { // a word wider than a line: break it
        int n = 1;
        while (n < line.length() && fm.stringWidth(line.substring(0, n + 1)) <= width) {
          n++;
        }
        lines.add(line.substring(0, n));
        line = line.substring(n);
      }
    }
    if (!line.isEmpty()) {
      lines.add(line);
    }
    if (lines.size() <= maxLines) {
      return lines;
    }
    List<String> kept = new ArrayList<>(lines.subList(0, maxLines));
    String last = kept.get(maxLines - 1);
    while (!last.isEmpty() && fm.stringWidth(last + ellipsis) > width) {
      last = last.substring(0, last.length() - 1);
    }
    kept.set(maxLines - 1, last.stripTrailing() + ellipsis);
    return kept;
  }

  /** A grid being laid out; {@link #render} draws it, {@link #write} saves it as PNG. */
  public static final class Grid {
    private record Row(INDArray images, String label, List<Caption> captions) {}

    private final int zoom;
    private final List<Row> rows = new ArrayList<>();
    private String title;
    private List<String> columnLabels = List.of();

    /** Images upscaled by {@code zoom} (nearest). */
    public Grid(int zoom) {
      if (zoom < 1) {
        throw new IllegalArgumentException("zoom " + zoom + " < 1");
      }
      this.zoom = zoom;
    }

    /** A line above the grid (null: none). */
    public Grid title(String title) {
      this.title = title;
      return this;
    }

    /** A label above each column (the first row's columns), e.g. the sampling seed. */
    public Grid columnLabels(List<String> labels) {
      this.columnLabels = List.copyOf(labels);
      return this;
    }

    /**
     * A row of {@code images} ({@code [B,3,H,W]} in [0,1]) with {@code label} on its left (null:
     * none) and a caption strip above it (none when {@code captions} is empty).
     */
    public Grid row(INDArray images, String label, List<Caption> captions) {
      for (Caption c : captions) {
        if (c.to() > images.size(0)) {
          throw new IllegalArgumentException("caption columns [" + c.from() + ", " + c.to() + ") past the row's "
              + images.size(0) + " images");
        }
      }
      rows.add(new Row(images, label, List.copyOf(captions)));
      return this;
    }

    /** Writes the PNG. */
    public void write(Path file) throws IOException {
      ImageIO.write(render(), "png", file.toFile());
    }

    /** The grid as an image. */
    public BufferedImage render() {
      if (rows.isEmpty()) {
        throw new IllegalStateException("a grid without rows");
      }
      FontMetrics fm = metrics(FONT);
      FontMetrics bold = metrics(BOLD);
      int line = fm.getHeight();
      int h = (int) rows.get(0).images().size(2) * zoom;
      int w = (int) rows.get(0).images().size(3) * zoom;
      int cols = 0;
      int labelW = 0;
      for (Row r : rows) {
        cols = Math.max(cols, (int) r.images().size(0));
        if (r.label() != null && !r.label().isEmpty()) {
          labelW = Math.max(labelW, bold.stringWidth(r.label()) + 2 * PAD + 4);
        }
      }
      labelW = Math.max(labelW, PAD);
      int cell = w + PAD;
      int width = labelW + cols * cell;
      List<String> titleLines = title == null ? List.of() : fit(title, bold, width - 2 * PAD, 2);
      // the strip of each row: as many lines as its longest caption
      List<List<List<String>>> wrapped = new ArrayList<>();
      int[] strip = new int[rows.size()];
      for (int r = 0; r < rows.size(); r++) {
        List<List<String>> l = new ArrayList<>();
        int n = 0;
        for (Caption c : rows.get(r).captions()) {
          List<String> lines = fit(c.text(), fm, (c.to() - c.from()) * cell - PAD - 2, CAPTION_LINES);
          l.add(lines);
          n = Math.max(n, lines.size());
        }
        wrapped.add(l);
        // a caption strip after the first row also opens a gap that sets its rows apart from those above
        strip[r] = rows.get(r).captions().isEmpty() ? 0 : (r > 0 ? GAP : 0) + n * line + PAD + 3;
      }
      int top = (titleLines.isEmpty() ? 0 : titleLines.size() * line + PAD)
          + (columnLabels.isEmpty() ? 0 : line + 2);
      int height = top + PAD;
      for (int s : strip) {
        height += s + h + PAD;
      }
      BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(BACKGROUND);
      g.fillRect(0, 0, width, height);
      int y = PAD;
      g.setColor(Color.BLACK);
      g.setFont(BOLD);
      for (String t : titleLines) {
        g.drawString(t, PAD, y + bold.getAscent());
        y += line;
      }
      if (!titleLines.isEmpty()) {
        y += PAD;
      }
      if (!columnLabels.isEmpty()) {
        g.setFont(FONT);
        g.setColor(Color.DARK_GRAY);
        for (int c = 0; c < Math.min(cols, columnLabels.size()); c++) {
          List<String> l = fit(columnLabels.get(c), fm, w, 1);
          if (!l.isEmpty()) {
            int x = labelW + c * cell + (w - fm.stringWidth(l.get(0))) / 2;
            g.drawString(l.get(0), x, y + fm.getAscent());
          }
        }
        y += line + 2;
      }
      for (int r = 0; r < rows.size(); r++) {
        Row row = rows.get(r);
        g.setFont(FONT);
        int textTop = y + (r > 0 && !row.captions().isEmpty() ? GAP : 0);
        for (int k = 0; k < row.captions().size(); k++) {
          Caption c = row.captions().get(k);
          int x0 = labelW + c.from() * cell;
          int x1 = labelW + c.to() * cell - PAD; // the right edge of the caption's last image
          g.setColor(Color.BLACK);
          List<String> lines = wrapped.get(r).get(k);
          for (int i = 0; i < lines.size(); i++) {
            g.drawString(lines.get(i), x0 + 1, textTop + i * line + fm.getAscent());
          }
          g.setColor(Color.GRAY); // a rule under the caption, as wide as the columns it names
          g.drawLine(x0, y + strip[r] - 2, x1 - 1, y + strip[r] - 2);
        }
        y += strip[r];
        if (row.label() != null && !row.label().isEmpty()) {
          g.setColor(Color.BLACK);
          g.setFont(BOLD);
          g.drawString(row.label(), PAD, y + (h + bold.getAscent() - bold.getDescent()) / 2);
        }
        paint(img, row.images(), labelW, y, cell);
        g.setColor(FRAME); // a frame, so that images with the grid's white background keep their edges
        for (int c = 0; c < row.images().size(0); c++) {
          g.drawRect(labelW + c * cell - 1, y - 1, w + 1, h + 1);
        }
        y += h + PAD;
      }
      g.dispose();
      return img;
    }

    private void paint(BufferedImage img, INDArray b, int left, int y0, int cell) {
      int n = (int) b.size(0);
      int h = (int) b.size(2);
      int w = (int) b.size(3);
      double[] v = b.castTo(DataType.DOUBLE).dup('c').data().asDouble();
      for (int c = 0; c < n; c++) {
        int x0 = left + c * cell;
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            int rgb = 0;
            for (int ch = 0; ch < 3; ch++) {
              double p = v[((c * 3 + ch) * h + y) * w + x];
              int q = (int) Math.round(Math.max(0, Math.min(1, p)) * 255);
              rgb = (rgb << 8) | q;
            }
            for (int dy = 0; dy < zoom; dy++) {
              for (int dx = 0; dx < zoom; dx++) {
                img.setRGB(x0 + x * zoom + dx, y0 + y * zoom + dy, rgb);
              }
            }
          }
        }
      }
    }

    private static FontMetrics metrics(Font f) {
      Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
      try {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        return g.getFontMetrics(f);
      } finally {
        g.dispose();
      }
    }
  }
}
