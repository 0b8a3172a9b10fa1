package dev.ledgerline.cli;

import dev.ledgerline.ledger.conformance.ConformanceRunner;
import dev.ledgerline.ledger.engine.EngineClock;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ledgerline conformance DIR}: runs TigerBeetle-derived ledger cases against a backend. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
    description = "Run every *.json ledger conformance case in DIR; exit 1 on any failure.")
public final class ConformanceCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "DIR", description = "Directory of case files.")
  Path dir;

  @Option(names = "--backend", defaultValue = "embedded", description = "Backend: ${COMPLETION-CANDIDATES}.")
  Backend backend;

  @Option(names = "--addresses", split = ",", defaultValue = "3000",
      description = "tigerbeetle: replica addresses, comma-separated (default ${DEFAULT-VALUE}).")
  java.util.List<String> addresses;

  @Option(names = "--cluster-id", defaultValue = "0", description = "tigerbeetle: cluster id (default ${DEFAULT-VALUE}).")
  String clusterId;

  enum Backend { embedded, tigerbeetle }

  @Override
  public Integer call() throws Exception {
    CliLogging.quiet();
    ConformanceRunner.BackendFactory factory = switch (backend) {
      // A fresh engine per case on the harness clock, with the test hooks the cases need.
      case embedded -> d -> LedgerEngine.open(new EngineConfig(d, Duration.ZERO, true, false, false),
          EngineClock.TEST, true);
      case tigerbeetle -> null;
    };
    if (backend == Backend.tigerbeetle) {
      // One cluster for every case, each case in an id namespace of its own; cases needing hooks are skipped.
      try (dev.ledgerline.ledger.LedgerBackend tb = dev.ledgerline.ledger.tigerbeetle.TigerBeetleBackend.open(
          dev.ledgerline.ledger.model.UInt128.parse(clusterId), addresses)) {
        ConformanceRunner.Summary s = new ConformanceRunner(
            d -> dev.ledgerline.ledger.tigerbeetle.IsolatedCaseBackend.open(tb)).runDirectory(dir, System.out);
        return s.failed() > 0 ? 1 : 0;
      }
    }
    ConformanceRunner.Summary s = new ConformanceRunner(factory).runDirectory(dir, System.out);
    return s.failed() > 0 ? 1 : 0;
  }
}
