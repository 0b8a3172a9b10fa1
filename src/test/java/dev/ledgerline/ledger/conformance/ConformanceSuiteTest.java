package dev.ledgerline.ledger.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.engine.EngineClock;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The project's own cases (src/test/resources/conformance). The suite reads only files inside the repository; larger
 * corpora kept beside it are run by {@code ledgerline conformance DIR} (CI does so when they are present).
 */
class ConformanceSuiteTest {

  static LedgerBackend embedded(Path dir) {
    return LedgerEngine.open(new EngineConfig(dir, Duration.ZERO, true, false, false), EngineClock.TEST, true);
  }

  private static ConformanceRunner.Summary run(Path dir, ConformanceRunner.BackendFactory factory, StringBuilder log)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ConformanceRunner.Summary s = new ConformanceRunner(factory).runDirectory(dir,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    log.append(bytes.toString(StandardCharsets.UTF_8));
    return s;
  }

  @Test
  void ownCasesPassOnTheEmbeddedEngine() throws Exception {
    Path dir = Path.of(getClass().getResource("/conformance").toURI());
    StringBuilder log = new StringBuilder();
    ConformanceRunner.Summary s = run(dir, ConformanceSuiteTest::embedded, log);
    assertThat(s.failed()).as(log.toString()).isZero();
    assertThat(s.skipped()).as(log.toString()).isZero();
    assertThat(s.passed()).isGreaterThanOrEqualTo(8);
    assertThat(log.toString()).endsWith(s.passed() + " passed, 0 failed, 0 skipped" + System.lineSeparator());
  }

  @Test
  void casesNeedingHooksAreSkippedOnABackendWithoutThem() throws Exception {
    Path dir = Path.of(getClass().getResource("/conformance").toURI());
    // Same engine, but presented without test hooks, like a real TigerBeetle cluster.
    ConformanceRunner.BackendFactory noHooks = d -> {
      LedgerBackend engine = embedded(d);
      return (LedgerBackend) Proxy.newProxyInstance(LedgerBackend.class.getClassLoader(),
          new Class<?>[] {LedgerBackend.class}, (proxy, method, args) -> {
            if (method.getName().equals("testHooks")) return Optional.empty();
            try {
              return method.invoke(engine, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            }
          });
    };
    StringBuilder log = new StringBuilder();
    ConformanceRunner.Summary s = run(dir, noHooks, log);
    assertThat(s.failed()).as(log.toString()).isZero();
    assertThat(s.skipped()).as(log.toString()).isEqualTo(3);
    assertThat(log.toString()).contains("SKIP balance limits, id_already_failed and overflow checks: requires");
  }

  @Test
  void aWrongExpectationIsReportedWithTheFirstMismatch() throws Exception {
    Path dir = Files.createTempDirectory("ledgerline-conformance-case");
    try {
      Files.writeString(dir.resolve("bad.json"), """
          {"name": "bad", "requires": [], "steps": [
            {"op": "create_accounts", "events": [{"id": "0", "ledger": 1, "code": 1, "flags": []}],
             "results": ["ok"]}]}
          """);
      StringBuilder log = new StringBuilder();
      ConformanceRunner.Summary s = run(dir, ConformanceSuiteTest::embedded, log);
      assertThat(s.failed()).isEqualTo(1);
      assertThat(log.toString()).contains("FAIL bad: step 1 (create_accounts): event 0: expected ok, got "
          + "id_must_not_be_zero").contains("0 passed, 1 failed, 0 skipped");
    } finally {
      ConformanceRunner.deleteRecursively(dir);
    }
  }
}
