package org.draft4j.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.draft4j.examples.cli.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainRunTest {
  @TempDir Path dir;

  @Test
  void configFileIsReadAndBadSettingsAreNamed() throws Exception {
    Path cfg = dir.resolve("run.conf");
    Files.writeString(cfg, "# a comment\nobjective = draft-lv\nlv-n = 3\n\nreward = compressibility\n");
    Map<String, String> s = TrainRun.readConfig(cfg);
    assertEquals(Map.of("objective", "draft-lv", "lv-n", "3", "reward", "compressibility"), s);
    assertEquals("draftLv(3)", TrainOptions.parse(s).objective().name());
    Files.writeString(cfg, "objectve = draft\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainRun.readConfig(cfg));
    assertTrue(e.getMessage().contains("run.conf:1") && e.getMessage().contains("objectve"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse(Map.of("objective", "dpo")));
    assertTrue(e.getMessage().contains("dpo") && e.getMessage().contains("draft-lv"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse(Map.of("k", "one")));
    assertTrue(e.getMessage().contains("--k = \"one\": must be an integer >= 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse(Map.of("reward", "beauty")));
    assertTrue(e.getMessage().contains("beauty") && e.getMessage().contains("compressibility"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse(Map.of("stpes", "3")));
    assertTrue(e.getMessage().contains("unknown setting \"stpes\"") && e.getMessage().contains("steps"),
        e.getMessage());
    assertEquals("refl(7, 9)", TrainOptions.parse(Map.of("objective", "refl")).objective().name());
  }

  /** Settings given by name come back typed, defaults resolved, and the given text is kept as given. */
  @Test
  void settingsAreTypedAndKeepWhatWasGiven() {
    Map<String, String> given = new java.util.LinkedHashMap<>();
    given.put("rank", "8");
    given.put("micro", "2");
    given.put("lr", "2e-3");
    TrainSettings s = TrainOptions.parse(given);
    assertEquals(2, s.global(), "global defaults to micro");
    assertEquals(8, s.adapter().rank());
    assertEquals(8.0, s.adapter().alpha(), "alpha defaults to the rank");
    assertEquals(2e-3, s.lr());
    assertEquals(java.util.List.of("rank", "micro", "lr"), java.util.List.copyOf(s.given().keySet()));
    assertEquals("2e-3", s.given().get("lr"));
    assertEquals(Path.of("train-output"), s.out());
  }

  /**
   * The demo trains full DRaFT through the 2-step sampler and judges it on 64 held-out captions × 4
   * seeds (the settings its README numbers were measured with); its own options pass through.
   */
  @Test
  void demoSettingsAreFullDraftThroughTwoStepsJudgedOn256Pairs() {
    TrainSettings s = Demo.settings("alignment", "7", "3", "out-x");
    assertEquals("draft", s.objective().name());
    assertEquals(2, s.samplerSteps());
    assertEquals(3.0, s.guidance());
    assertEquals(new TrainSettings.Evaluation(64, 4, 0, null), s.eval());
    assertEquals(7, s.steps());
    assertEquals(3, s.seed());
    assertEquals(Path.of("out-x"), s.out());
    assertEquals("alignment", s.reward().name());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Demo.settings("beauty", "7", "3", "out-x"));
    assertTrue(e.getMessage().contains("beauty"), e.getMessage());
  }

  /** The evaluation's prompts: an --eval-file's first lines, else the training file's, else world seed 2's captions. */
  @Test
  void evaluationPromptsComeFromTheEvalFileThenTheTrainingFile() throws Exception {
    Path f = dir.resolve("eval.txt");
    Files.writeString(f, "a red star\n\n  a blue ring \na green box\n");
    assertEquals(java.util.List.of("a red star", "a red star", "a red star", "a blue ring", "a blue ring", "a blue ring"),
        TrainRun.evalPrompts(new TrainSettings.Evaluation(2, 3, 0, f), java.util.List.of("a training prompt"), true));
    assertEquals(java.util.List.of("t1", "t1", "t2", "t2"),
        TrainRun.evalPrompts(new TrainSettings.Evaluation(2, 2, 0, null), java.util.List.of("t1", "t2", "t3"), true));
    assertEquals(TrainRun.evalPrompts(2, 2),
        TrainRun.evalPrompts(new TrainSettings.Evaluation(2, 2, 0, null), java.util.List.of("t1"), false));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainRun.evalPrompts(new TrainSettings.Evaluation(4, 1, 0, f), java.util.List.of(), false));
    assertEquals("--eval-file = \"" + f + "\": has 3 prompt lines, fewer than --eval-prompts = 4", e.getMessage());
  }

  @Test
  void mixWeightsParse() {
    assertArrayEquals(new double[] {0, 0.5, 1}, Cli.numbers("weights", "0, 0.5,1"));
    assertThrows(IllegalArgumentException.class, () -> Cli.numbers("weights", "0,half"));
  }
}
