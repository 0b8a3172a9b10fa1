package dev.ledgerline;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one Ledgerline binary: every capability is a subcommand. */
@Command(name = "ledgerline", mixinStandardHelpOptions = true, version = "ledgerline 0.1.0",
    description = "Clustered Vert.x event-bus monolith for financial platform services.",
    subcommands = {
        dev.ledgerline.cli.RunCommand.class,
        dev.ledgerline.cli.DevCertsCommand.class,
        dev.ledgerline.cli.TokenCommand.class,
        dev.ledgerline.cli.UsersCommand.class,
        dev.ledgerline.cli.ConformanceCommand.class,
        dev.ledgerline.cli.VerifyCommand.class,
        dev.ledgerline.cli.VerifyEventsCommand.class,
        dev.ledgerline.cli.ProviderSandboxCommand.class,
        dev.ledgerline.cli.bench.BenchCommand.class,
        dev.ledgerline.cli.ChaosCommand.class,
        dev.ledgerline.cli.VaultCommand.class,
        dev.ledgerline.cli.ReindexCommand.class})
public final class Ledgerline implements Runnable {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return new CommandLine(new Ledgerline());
  }

  @Override
  public void run() {
    commandLine().usage(System.out);
  }
}
