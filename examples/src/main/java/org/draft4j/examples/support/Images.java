package org.draft4j.examples.support;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;

/** PNG grids of image batches ({@code [B,3,H,W]} in [0,1]). */
public final class Images {
  private Images() {}

  /**
   * Writes a grid: one row per batch, one column per image, each image upscaled by {@code zoom}
   * (nearest), with a label left of each row.
   */
  public static void grid(Path file, List<INDArray> rows, List<String> labels, int zoom) throws IOException {
    int cols = (int) rows.get(0).size(0);
    int h = (int) rows.get(0).size(2);
    int w = (int) rows.get(0).size(3);
    int labelW = 16;
    java.awt.FontMetrics fm = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics()
        .getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (String l : labels) {
      labelW = Math.max(labelW, fm.stringWidth(l) + 12);
    }
    int pad = 4;
    BufferedImage img = new BufferedImage(labelW + cols * (w * zoom + pad), rows.size() * (h * zoom + pad),
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int r = 0; r < rows.size(); r++) {
      INDArray b = rows.get(r);
      int y0 = r * (h * zoom + pad);
      g.drawString(labels.get(r), 4, y0 + h * zoom / 2);
      for (int c = 0; c < cols; c++) {
        int x0 = labelW + c * (w * zoom + pad);
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            int rgb = 0;
            for (int ch = 0; ch < 3; ch++) {
              double v = b.getDouble(c, ch, y, x);
              int q = (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
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
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }
}
