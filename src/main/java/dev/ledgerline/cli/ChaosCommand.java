package dev.ledgerline.cli;

import dev.ledgerline.chaos.CrashCycles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ledgerline chaos}: SIGKILL crash cycles through the public API; exit 1 if any promise was broken. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Kill a node (SIGKILL) under HTTP load N times; after each restart check every acknowledged "
        + "transfer, nothing unsent, debits = credits, and idempotent retries.")
public final class ChaosCommand implements Callable<Integer> {
  @Option(names = "--cycles", description = "Crash cycles (default: ${DEFAULT-VALUE}).")
  int cycles = 3;

  @Option(names = "--connections", description = "Concurrent HTTP connections (default: ${DEFAULT-VALUE}).")
  int connections = 16;

  @Option(names = "--accounts", description = "Accounts the transfers move money between (default: ${DEFAULT-VALUE}).")
  int accounts = 8;

  @Option(names = "--seed", description = "Seed of the traffic and the kill moments (default: random).")
  Long seed;

  @Option(names = "--dir", description = "Working directory of the node (default: a new temporary directory).")
  Path dir;

  @Override
  public Integer call() throws Exception {
    long s = seed == null ? System.nanoTime() : seed;
    Path work = dir == null ? Files.createTempDirectory("ledgerline-chaos") : dir;
    System.out.printf("chaos: %d cycles, seed %d, node files in %s%n", cycles, s, work);
    List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), dev.ledgerline.Ledgerline.class.getName()));
    CrashCycles.Report r = new CrashCycles(new CrashCycles.Settings(work, cycles, connections, accounts, s, java),
        System.out).run();
    System.out.printf("chaos: %d sent, %d acknowledged, %d unacknowledged found committed, %d violations%n",
        r.sent(), r.acknowledged(), r.unacknowledgedFound(), r.violations().size());
    return r.violations().isEmpty() ? 0 : 1;
  }
}
