package org.draft4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.draft4j.examples.train.RunSummary;
import org.junit.jupiter.api.Test;

/** The results report: its statistics and its reading of finished runs. */
class ResultsTest {
  @Test
  void diversityAtInterpolatesWhereTheRewardIsFirstReached() {
    double[][] h = {{1.0, 2.0, 4.0, 3.0}, {0.30, 0.28, 0.20, 0.10}, {0, 5, 10, 15}};
    assertEquals(0.30, Results.diversityAt(h, 0.5), 1e-12); // reached before training
    assertEquals(0.29, Results.diversityAt(h, 1.5), 1e-12); // halfway between the first two evaluations
    assertEquals(0.24, Results.diversityAt(h, 3.0), 1e-12); // first crossing, not the later one at step 15
    assertEquals(0.10, Results.diversityAt(h, 9.0), 1e-12); // never reached: the last evaluation
  }

  @Test
  void smoothingAndMeansOfCurves() {
    assertArrayEquals(new double[] {1, 1.5, 2.5}, Results.smooth(new double[] {1, 2, 3}, 2), 1e-12);
    assertArrayEquals(new double[] {2, 3}, Results.mean(java.util.List.of(new double[] {1, 2, 9},
        new double[] {3, 4})), 1e-12);
  }

  @Test
  void seedIntervalIsTheStudentTIntervalOfTheMean() {
    SeedInterval i = SeedInterval.of(1, 2, 3); // sd 1, t(0.975, 2) = 4.303
    assertEquals(2.0, i.mean(), 1e-12);
    assertEquals(4.303 / Math.sqrt(3), i.halfWidth(), 1e-12);
    assertEquals(0, i.sign());
    assertEquals(1, SeedInterval.of(1.0, 1.1, 1.2).sign());
    assertEquals(-1, SeedInterval.of(-1.0, -1.1, -1.2).sign());
    assertEquals("+2.00 [-0.48, +4.48]", i.signed(2));
    org.junit.jupiter.api.Assertions.assertTrue(Double.isNaN(SeedInterval.of(5).halfWidth()));
    assertEquals("5.0 (1 seed)", SeedInterval.of(5).plain(1));
  }

  @Test
  void configurationsEndingBelowTheBaseRewardAreNamed() {
    // history rows: held-out reward, diversity, step; the base model's reward is 10
    double[][] fell = {{10, 11, 9}, {0.2, 0.2, 0.2}, {0, 10, 20}};
    double[][] rose = {{10, 11, 12}, {0.2, 0.2, 0.2}, {0, 10, 20}};
    java.util.Map<String, java.util.Map<Integer, double[][]>> configs = new java.util.LinkedHashMap<>();
    configs.put("DRaFT-1", java.util.Map.of(0, fell, 1, rose)); // mean final 10.5: above
    configs.put("DRaFT+ kl_coeff 1", java.util.Map.of(0, fell, 1, fell)); // mean final 9: below
    String note = Results.belowBase(configs, 10);
    org.junit.jupiter.api.Assertions.assertTrue(note.startsWith("; DRaFT+ kl_coeff 1 end below it"), note);
    assertEquals("", Results.belowBase(java.util.Map.of("DRaFT-1", java.util.Map.of(0, rose)), 10));
  }

  @Test
  void smoothIsATrailingMovingAverage() {
    double[] y = Results.smooth(new double[] {1, 2, 3, 4}, 2);
    assertEquals(1.0, y[0], 1e-12);
    assertEquals(1.5, y[1], 1e-12);
    assertEquals(3.5, y[3], 1e-12);
  }

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir;

  /** A finished run as {@code train} leaves it: summary.json and metrics.jsonl. */
  private void fakeRun(String name, double before, double after, double seconds) throws Exception {
    java.nio.file.Path d = dir.resolve("runs").resolve(name);
    java.nio.file.Files.createDirectories(d);
    java.util.Map<String, Double> oracle = new java.util.LinkedHashMap<>();
    for (String k : java.util.List.of("background", "shape_color", "shape_kind", "size", "mean")) {
      oracle.put(k, 0.5);
    }
    new RunSummary("draftK(1)", "world", "test", null, before, after, java.util.Map.of("pickscore",
        java.util.List.of(before, after)), oracle, oracle, 0.3, 0.29, java.util.Map.of("area", 0.2), java.util.Map.of(
        "area", 0.25), null, 3, 1.0, java.util.Map.of("objective", "draft-k")).write(d.resolve("summary.json"));
    StringBuilder m = new StringBuilder();
    for (int step = 1; step <= 3; step++) {
      m.append("{\"step\":").append(step).append(",\"loss\":-1.0,\"reward_mean\":").append(before + step)
          .append(",\"reward_std\":0.1,\"grad_norm\":1.0,\"lr\":0.001,\"seconds\":").append(seconds)
          .append(",\"skipped\":false}\n");
    }
    java.nio.file.Files.writeString(d.resolve("metrics.jsonl"), m.toString());
  }

  @Test
  void theReportReadsTypedSummariesAndComparesTruncations() throws Exception {
    fakeRun("draft-k1-s0", 10.0, 12.0, 1.0);
    fakeRun("draft-k1-s1", 10.0, 12.5, 1.0);
    fakeRun("draft-k1-s2", 10.0, 12.2, 1.0);
    fakeRun("draft-full-s0", 10.0, 11.0, 4.0);
    fakeRun("draft-full-s1", 10.0, 11.2, 4.0);
    fakeRun("draft-full-s2", 10.0, 11.1, 4.0);
    java.nio.file.Path report = dir.resolve("docs/results.md");
    Results.report(dir.resolve("runs"), 3, report, "--test");
    String md = java.nio.file.Files.readString(report);
    // mean of 12.0, 12.5, 12.2 with 4.303 · sd / sqrt(3) either side
    org.junit.jupiter.api.Assertions.assertTrue(md.contains("| draft-k1 | `draftK(1)` | 3 | 10.00 → **12.23 [11.61, 12.86]**"),
        md);
    // paired by seed: 1.0, 1.3, 1.1
    org.junit.jupiter.api.Assertions.assertTrue(md.contains("DRaFT-1 − full, paired by seed: +1.13 [+0.75, +1.51]"
        + " (per seed 1.00 / 1.30 / 1.10)"), md);
    org.junit.jupiter.api.Assertions.assertTrue(md.contains("K = 1 ends higher, with an interval above zero"), md);
    org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.exists(dir.resolve("docs/results_reward_curves.png")));
  }

  @Test
  void methodsArePairedByTrainingSeedWhenASeedIsMissing() throws Exception {
    fakeRun("draft-k1-s0", 10.0, 12.0, 1.0);
    fakeRun("draft-k1-s1", 10.0, 12.5, 1.0);
    fakeRun("draft-k1-s2", 10.0, 12.2, 1.0);
    fakeRun("draft-full-s0", 10.0, 11.0, 4.0);
    fakeRun("draft-full-s2", 10.0, 11.1, 4.0); // seed 1 did not finish
    java.nio.file.Path report = dir.resolve("docs/results.md");
    Results.report(dir.resolve("runs"), 3, report, "--test");
    String md = java.nio.file.Files.readString(report);
    // seeds 0 and 2: 12.0 - 11.0 and 12.2 - 11.1, not seed 1's 12.5 against seed 2's 11.1
    org.junit.jupiter.api.Assertions.assertTrue(md.contains("(per seed 1.00 / 1.10)"), md);
    org.junit.jupiter.api.Assertions.assertTrue(md.contains("draft-full-s1"), "the missing run is listed:\n" + md);
  }
}
