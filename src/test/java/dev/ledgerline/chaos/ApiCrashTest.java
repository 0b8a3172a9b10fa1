package dev.ledgerline.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Three SIGKILL crash cycles of a node in its own JVM under concurrent HTTP load (the same run as
 * {@code scripts/chaos-kill9.sh N}): acknowledged transfers survive, nothing unsent appears, debits equal credits,
 * and retries with the same key change nothing.
 */
class ApiCrashTest {

  @Test
  void everyAcknowledgedTransferSurvivesThreeKillsUnderLoad() throws Exception {
    Path dir = TestData.tempRoot("ledgerline-chaos");
    List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path")));
    String runAs = System.getProperty("embedded.run-as");
    if (runAs != null) java.add("-Dembedded.run-as=" + runAs);
    java.add(Ledgerline.class.getName());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CrashCycles.Report report = new CrashCycles(new CrashCycles.Settings(dir.resolve("node"), 3, 8, 6, 20261204L,
        java), new PrintStream(out, true, StandardCharsets.UTF_8)).run();
    String log = out.toString(StandardCharsets.UTF_8);
    System.out.println(log);
    assertThat(report.violations()).as(log).isEmpty();
    // Each cycle waits for at least 20 acknowledgements before its kill.
    assertThat(report.acknowledged()).as(log).isGreaterThanOrEqualTo(60);
    assertThat(log).contains("after cycle 3:");
  }
}
