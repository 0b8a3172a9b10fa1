package dev.ledgerline.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ledgerline bench ...}: benchmarks (never part of the test suite). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
    subcommands = {LedgerBenchCommand.class, HttpBenchCommand.class, LedgerBusBenchCommand.class,
        EventsBenchCommand.class, ProvidersBenchCommand.class, PaymentsBenchCommand.class,
        CacheBenchCommand.class, WireBenchCommand.class})
public final class BenchCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
