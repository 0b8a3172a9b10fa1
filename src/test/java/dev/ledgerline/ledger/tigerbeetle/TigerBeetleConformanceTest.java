package dev.ledgerline.ledger.tigerbeetle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.conformance.ConformanceRunner;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.UInt128;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conformance cases against a real TigerBeetle cluster, when {@code TB_ADDRESSES} names one
 * ({@code TB_CLUSTER_ID} defaults to 0); reported as skipped otherwise. The same runner path (one long-lived ledger,
 * each case in its own id namespace, no test hooks) is also exercised on the embedded engine, so it is known to work
 * before a cluster is at hand. Without a cluster, {@code dev.ledgerline.ledger.wire.OfficialClientTest} runs this
 * backend over the same corpus against a node's TigerBeetle wire listener, in a forked JVM.
 */
class TigerBeetleConformanceTest {

  /** The project's own cases, or the directory named by {@code TB_CASES} (e.g. a larger corpus beside the clone). */
  private static Path casesDir() throws Exception {
    String dir = System.getenv("TB_CASES");
    if (dir != null && !dir.isBlank()) return Path.of(dir);
    return Path.of(TigerBeetleConformanceTest.class.getResource("/conformance").toURI());
  }

  private static ConformanceRunner.Summary run(LedgerBackend shared, StringBuilder log) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ConformanceRunner.Summary s = new ConformanceRunner(d -> IsolatedCaseBackend.open(shared))
        .runDirectory(casesDir(), new PrintStream(out, true, StandardCharsets.UTF_8));
    log.append(out.toString(StandardCharsets.UTF_8));
    return s;
  }

  @Test
  void sharedCasesPassOnARealTigerBeetleCluster() throws Exception {
    String addresses = System.getenv("TB_ADDRESSES");
    assumeTrue(addresses != null && !addresses.isBlank(), "TB_ADDRESSES is not set: no TigerBeetle cluster to run on");
    String clusterId = System.getenv().getOrDefault("TB_CLUSTER_ID", "0");
    List<String> replicas = Arrays.stream(addresses.split(",")).map(String::trim).toList();
    StringBuilder log = new StringBuilder();
    try (TigerBeetleBackend tb = TigerBeetleBackend.open(UInt128.parse(clusterId), replicas)) {
      ConformanceRunner.Summary s = run(tb, log);
      assertThat(s.failed()).as(log.toString()).isZero();
      assertThat(s.passed()).as(log.toString()).isPositive();
    }
  }

  @Test
  void hookFreeCasesPassOnOneSharedEngineThroughCaseIsolation(@TempDir Path dir) throws Exception {
    StringBuilder log = new StringBuilder();
    ConformanceRunner.Summary s;
    try (LedgerEngine engine = LedgerEngine.open(EngineConfig.of(dir))) {
      s = run(engine, log);
    }
    assertThat(s.failed()).as(log.toString()).isZero();
    // Without hooks (like a real cluster) the clock and balance-setup cases are skipped, the rest must pass.
    assertThat(s.passed()).as(log.toString()).isGreaterThanOrEqualTo(5);
    assertThat(log.toString()).contains("SKIP");
  }
}
