package dev.ledgerline.ledger.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official TigerBeetle 0.16.30 Java client against a node with {@code ledger.wire.enabled}. Each scenario runs in
 * a forked JVM ({@link OfficialClientWorker}) under a watchdog: a wrong reply aborts that JVM (a panic in the client's
 * native code) or hangs it (the client drops invalid replies and retries forever), and either must fail this test,
 * not take the build down with it.
 */
class OfficialClientTest {
  private static final int WIRE_PORT = FreePorts.next();

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.node().roles("ledger")
      .set("ledger.wire.enabled", "true").set("ledger.wire.port", String.valueOf(WIRE_PORT)).build();

  /** Runs one scenario; returns its output after asserting that it finished in time and passed. */
  private static String fork(Path dir, long timeoutSeconds, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), OfficialClientWorker.class.getName()));
    command.addAll(List.of(args));
    File log = dir.resolve("worker.log").toFile();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!finished) p.destroyForcibly().waitFor();
    String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
    System.out.println("---- official client, " + String.join(" ", args) + " ----\n" + out);
    assertThat(finished).as("the client finished within %ss (a hang means a reply it dropped):%n%s",
        timeoutSeconds, out).isTrue();
    assertThat(p.exitValue()).as("client exit code (134 = panic in the native client):%n%s", out).isZero();
    assertThat(out).contains("RESULT ok");
    return out;
  }

  /**
   * {@code TigerBeetleBackend} runs the conformance corpus: the project's cases, and the shared corpus beside the
   * checkout when there is one.
   */
  @Test
  void tigerBeetleBackendPassesTheConformanceCorpus(@TempDir Path dir) throws Exception {
    String cases = Path.of(OfficialClientTest.class.getResource("/conformance").toURI()).toString()
        + File.pathSeparator + Path.of("..", "shared", "conformance", "cases").toAbsolutePath();
    String out = fork(dir, 600, "conformance", String.valueOf(WIRE_PORT), cases);
    assertThat(out).doesNotContain("FAIL ");
  }

  @Test
  void automaticBatchingOf64ThreadsGetsEachCallItsOwnResults(@TempDir Path dir) throws Exception {
    fork(dir, 300, "batching", String.valueOf(WIRE_PORT));
  }

  @Test
  void anEvictedSessionFailsTheClientsNextRequestWithoutAPanic(@TempDir Path dir) throws Exception {
    fork(dir, 120, "eviction", String.valueOf(WIRE_PORT));
  }

  @Test
  void aKilledConnectionIsRetriedAndTheRequestAppliedOnce(@TempDir Path dir) throws Exception {
    fork(dir, 120, "retry", String.valueOf(WIRE_PORT));
  }
}
