package org.draft4j.examples.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.draft4j.examples.cli.Cli;
import org.draft4j.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The UNet pretraining stage with the zero-terminal-SNR schedule: v targets, recorded, resumable only as such. */
class PretrainUnetTest {
  @TempDir Path dir;

  @Test
  void zeroSnrStageRecordsItsScheduleAndRefusesAnotherOnResume() throws Exception {
    Path out = dir.resolve("z");
    Cli.run(new PretrainUnet(), "--out", out.toString(), "--steps", "2", "--batch", "2", "--zero-snr", "true",
        "--checkpoint-every", "1");
    List<String> log = Files.readAllLines(out.resolve("pretrain_log.jsonl"));
    assertEquals(2, log.size());
    assertTrue(log.stream().noneMatch(l -> l.contains("NaN") || l.contains("Infinity")), log.toString());
    try (SafetensorsFile cf = SafetensorsFile.openVerified(out.resolve("checkpoint.safetensors"))) {
      assertTrue(cf.metadata().get("config").contains("\"rescale_betas_zero_snr\":true")
          && cf.metadata().get("config").contains("v_prediction"), cf.metadata().get("config"));
    }
    // the same folder under SD's schedule: refused, naming the field (more steps alone would resume)
    org.draft4j.train.CheckpointMismatchException e = assertThrows(org.draft4j.train.CheckpointMismatchException.class,
        () -> Cli.run(new PretrainUnet(), "--out", out.toString(), "--steps", "3", "--batch", "2",
            "--checkpoint-every", "1"));
    assertEquals("scheduler", e.field(), e.getMessage());
  }

  /** The checkpoint's tensors whose names start with {@code prefix}, as raw float bits. */
  private static java.util.Map<String, List<Float>> tensors(Path ckpt, String prefix) {
    java.util.Map<String, List<Float>> m = new java.util.TreeMap<>();
    try (SafetensorsFile cf = SafetensorsFile.openVerified(ckpt)) {
      for (String k : cf.keys()) {
        if (k.startsWith(prefix)) {
          float[] v = cf.get(k).ravel().toFloatVector();
          List<Float> l = new java.util.ArrayList<>(v.length);
          for (float x : v) {
            l.add(x);
          }
          m.put(k, l);
        }
      }
    }
    return m;
  }

  @Test
  void emaAndEvaluationsResumeBitForBitAndDoNotChangeTraining() throws Exception {
    String[] common = {"--steps", "2", "--batch", "2", "--zero-snr", "true", "--ema", "0.9", "--checkpoint-every", "1"};
    Path plain = dir.resolve("plain");
    Cli.run(new PretrainUnet(), concat(new String[] {"--out", plain.toString()}, common));
    Path evaluated = dir.resolve("evaluated");
    Cli.run(new PretrainUnet(), concat(new String[] {"--out", evaluated.toString(), "--eval-every", "2"}, common));
    Path resumed = dir.resolve("resumed");
    Cli.run(new PretrainUnet(), "--out", resumed.toString(), "--steps", "1", "--batch", "2", "--zero-snr",
        "true", "--ema", "0.9", "--checkpoint-every", "1");
    // the configuration holds the total steps only through the schedule; warm-up schedules do not depend on it
    Cli.run(new PretrainUnet(), concat(new String[] {"--out", resumed.toString()}, common));
    for (String prefix : List.of("unet/", "ema/")) {
      assertEquals(tensors(plain.resolve("checkpoint.safetensors"), prefix),
          tensors(evaluated.resolve("checkpoint.safetensors"), prefix), prefix + " changed by the evaluation");
      assertEquals(tensors(plain.resolve("checkpoint.safetensors"), prefix),
          tensors(resumed.resolve("checkpoint.safetensors"), prefix), prefix + " differs after resuming");
    }
    assertTrue(!tensors(plain.resolve("checkpoint.safetensors"), "ema/").isEmpty());
    List<String> evals = Files.readAllLines(evaluated.resolve("eval_log.jsonl"));
    assertEquals(1, evals.size());
    assertTrue(evals.get(0).contains("\"step\":2") && evals.get(0).contains("\"weights\":\"ema\"")
        && evals.get(0).contains("\"background\""), evals.get(0));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
