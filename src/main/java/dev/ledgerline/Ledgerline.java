package dev.ledgerline;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one Ledgerline binary: every capability is a subcommand. */
@Command(name = "ledgerline", mixinStandardHelpOptions = true, version = "ledgerline 0.1.0",
    description = "Clustered Vert.x event-bus monolith for financial platform services.",
    subcommands = {
        dev.ledgerline.node.RunCommand.class,
        dev.ledgerline.node.clustertls.DevCertsCommand.class,
        dev.ledgerline.gateway.auth.TokenCommand.class,
        dev.ledgerline.ledger.cli.ConformanceCommand.class,
        dev.ledgerline.ledger.cli.VerifyCommand.class,
        dev.ledgerline.ledger.cli.BenchCommand.class,
        dev.ledgerline.chaos.ChaosCommand.class})
public final class Ledgerline implements Runnable {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Ledgerline());
    // The ledger-bus benchmark lives with the ledger verticle; it joins the engine's `bench` command here.
    cl.getSubcommands().get("bench").addSubcommand("ledger-bus", new dev.ledgerline.ledger.cli.LedgerBusBenchCommand());
    return cl;
  }

  @Override
  public void run() {
    commandLine().usage(System.out);
  }
}
