package org.draft4j.shapesworld;

/**
 * ShapesWorld's visual-appeal score, the target the world's aesthetic head learns (the stand-in for
 * LAION's human ratings), in [0, 10]:
 *
 * <pre>
 *   appeal = 10 · (0.5·contrast + 0.3·size + 0.2·centring)
 *   contrast = min over shapes of |rgb(shape) − rgb(background)| / |white − black|   (sRGB distance, 0..1)
 *   size     = mean over shapes of (1 for large, 0.35 for small)
 *   centring = mean over shapes of max(0, 1 − d/12),  d = distance in pixels from the shape's centre to (16, 16)
 * </pre>
 *
 * So a large, centred shape in a colour far from its background scores high (a white star on black
 * in the middle scores 9.2); two small off-centre shapes in similar colours score low. The score
 * depends on the scene only; the head sees it through the CLIP image embedding, so optimizing it
 * pushes images toward bigger, centred, higher-contrast subjects, and over-optimizing it trades
 * away the colours the prompt asked for.
 */
public final class ShapesAppeal {
  private ShapesAppeal() {}

  /** The appeal of a scene, in [0, 10]. */
  public static double score(ShapesWorld.Scene s) {
    int[] bg = ShapesWorld.RGB[s.background()];
    double contrast = 1;
    double size = 0;
    double centring = 0;
    for (ShapesWorld.Shape sh : s.shapes()) {
      int[] c = ShapesWorld.RGB[sh.color()];
      double d2 = 0;
      for (int k = 0; k < 3; k++) {
        d2 += (c[k] - bg[k]) * (double) (c[k] - bg[k]);
      }
      contrast = Math.min(contrast, Math.sqrt(d2) / (255 * Math.sqrt(3)));
      size += sh.size() == 1 ? 1 : 0.35;
      double d = Math.hypot(sh.cx() - ShapesWorld.SIZE / 2.0, sh.cy() - ShapesWorld.SIZE / 2.0);
      centring += Math.max(0, 1 - d / 12);
    }
    int n = s.shapes().size();
    return 10 * (0.5 * contrast + 0.3 * size / n + 0.2 * centring / n);
  }
}
