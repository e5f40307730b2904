package org.draft4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.draft4j.io.TensorStore;
import org.draft4j.testing.InteropFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The files of {@code interop/fixtures/malicious/} are refused on open with a message naming the file
 * and what is wrong, and the payloads never run: the marker file each would create stays absent.
 */
class TorchMaliciousTest {
  private static void assertNamed(RuntimeException e, Path file, String... parts) {
    String m = e.getMessage();
    assertTrue(m.startsWith(file.toString() + ": "), m);
    for (String p : parts) {
      assertTrue(m.contains(p), "\"" + p + "\" not in: " + m);
    }
  }

  @ParameterizedTest
  @CsvSource({ // protocol 2 writes Python 3's subprocess and builtins under their Python 2 names
      "nested_zip, posix.system, nested_zip/data.pkl byte 273:", "nested_legacy, commands.call, file byte 427:",
      "posix_system_legacy, posix.system, file byte", "subprocess_zip, commands.call, subprocess_zip/data.pkl byte",
      "eval_zip, __builtin__.eval, eval_zip/data.pkl byte 14:", "os_system_zip, os.system, archive/data.pkl byte 2:",
      "exec_stack_global_zip, builtins.exec, archive/data.pkl byte"})
  void payloadGlobalsAreRefusedAndNeverRun(String name, String global, String where) throws IOException {
    Path marker = Path.of("/tmp/draft4j-pwned-" + name);
    Files.deleteIfExists(marker);
    Path file = InteropFixtures.require("malicious/" + name + ".pt");
    PickleRefusedException e = assertThrows(PickleRefusedException.class, () -> TensorStore.open(file));
    assertNamed(e, file, "global " + global + " is not on the allow-list", where);
    assertFalse(Files.exists(marker), marker + " exists: a payload ran");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "truncated_zip | no zip end-of-central-directory record",
      "missing_record_zip | storage \"1\": its record archive/data/1 is missing",
      "short_record_zip | record archive/data/0 has 12 bytes, but 4 elements of F32 need 16",
      "bigendian_zip | archive/byteorder is \"big\", expected \"little\"",
      "compressed_zip | zip entry \"archive/data/0\" is compressed (method 8)",
      "cut_legacy | needs bytes [",
  })
  void brokenFilesFailOnOpenNamingWhatIsWrong(String name, String message) {
    Path file = InteropFixtures.require("malicious/" + name + ".pt");
    TorchFormatException e = assertThrows(TorchFormatException.class, () -> TensorStore.open(file));
    assertFalse(e instanceof PickleRefusedException, e.getMessage());
    assertNamed(e, file, message);
  }

  @ParameterizedTest
  @CsvSource({"unknown_storage_zip", "unknown_storage_legacy"})
  void unknownStorageTypesAreRefusedByName(String name) {
    Path file = InteropFixtures.require("malicious/" + name + ".pt");
    PickleRefusedException e = assertThrows(PickleRefusedException.class, () -> TorchFile.open(file));
    assertNamed(e, file, "global torch.FloatStorageX is not on the allow-list");
  }
}
