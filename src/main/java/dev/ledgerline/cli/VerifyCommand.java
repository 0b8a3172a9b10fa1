package dev.ledgerline.cli;

import dev.ledgerline.ledger.engine.LedgerVerifier;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ledgerline verify DIR}: offline consistency check of an embedded-engine data directory. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Check a ledger data directory offline: log replay vs snapshot, conservation, balances.")
public final class VerifyCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "DIR", description = "Engine data directory (e.g. data/ledger).")
  Path dir;

  @Override
  public Integer call() throws Exception {
    CliLogging.quiet();
    long start = System.nanoTime();
    LedgerVerifier.Report r = LedgerVerifier.verify(dir);
    System.out.println("ledger data directory " + dir);
    System.out.println("  log records: " + r.records() + ", accounts: " + r.accounts() + ", transfers: "
        + r.transfers());
    for (String n : r.notes()) System.out.println("  " + n);
    System.out.println("  state digest: " + r.digest());
    for (String v : r.violations()) System.out.println("VIOLATION " + v);
    System.out.printf("%s (%d violations, %.1f s)%n", r.clean() ? "CLEAN" : "FAILED", r.violations().size(),
        (System.nanoTime() - start) / 1e9);
    return r.clean() ? 0 : 1;
  }
}
