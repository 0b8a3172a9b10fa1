package dev.ledgerline.cli;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventStoreVerifier;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.node.Node;
import dev.ledgerline.transactions.PaymentStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ledgerline verify-events [--repair]}: cross-checks the ledger event store's PostgreSQL rows against its
 * ledger transfers. It starts a ledger-only node of its own from the node's configuration (not clustered), so with
 * the embedded ledger the node must be stopped (the ledger's write lease says so otherwise); a TigerBeetle backend
 * can be checked at any time.
 */
@Command(name = "verify-events", mixinStandardHelpOptions = true,
    description = {"Cross-check the ledger event store: every ledger_events row against its transfer, every event "
        + "transfer against its row. With --repair, rebuild missing rows from the ledger and the kept payloads "
        + "(a payment's from its row).",
        "Exit 0: consistent (after repair); 1: violations left; 2: bad configuration or the ledger could not start.",
        "With the embedded ledger, stop the node first: this command opens the same ledger and PostgreSQL."})
public final class VerifyEventsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--repair", description = "Rebuild missing ledger_events rows from the ledger.")
  boolean repair;

  @Override
  public Integer call() {
    CliLogging.quiet();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> all = new LinkedHashMap<>(configOptions.sets);
    // A node of its own: only the ledger role, alone, and off the running node's management port.
    all.put("node.roles", "ledger");
    all.put("cluster.enabled", "false");
    all.putIfAbsent("management.port", String.valueOf(freePort()));
    ConfigService configService;
    try {
      configService = ConfigService.load(ConfigService.Source.of(
          ConfigService.Source.defaultFile(configOptions.config), all));
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.flush();
      return RunCommand.EXIT_CONFIG;
    }
    LedgerlineConfig cfg = configService.current();
    Node node;
    try {
      node = new Node(configService).start().toCompletionStage().toCompletableFuture().join();
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      err.println("cannot open the ledger and PostgreSQL: " + cause.getMessage());
      err.flush();
      return RunCommand.EXIT_CONFIG;
    }
    try {
      // Payments derive their events from their rows: a lost row of theirs is rebuilt from the payment.
      PaymentStore payments = new PaymentStore(node.services().pool(), null);
      EventStoreVerifier verifier = new EventStoreVerifier(new LedgerClient(node.vertx(),
          cfg.ledger().requestTimeout()), node.services().pool(), EventTypes.KNOWN, cfg.events().ledger(),
          payments::eventPayload);
      long start = System.nanoTime();
      EventStoreVerifier.Report r = verifier.verify(repair).toCompletionStage().toCompletableFuture().join();
      out.println("ledger event store on ledger " + cfg.events().ledger());
      out.println("  rows: " + r.rows() + ", event transfers: " + r.transfers() + ", rows rebuilt: " + r.repaired());
      for (String v : r.violations()) out.println("VIOLATION " + v);
      out.printf("%s (%d violations, %.1f s)%n", r.clean() ? "CLEAN" : "FAILED", r.violations().size(),
          (System.nanoTime() - start) / 1e9);
      out.flush();
      return r.clean() ? 0 : 1;
    } finally {
      node.stop().join();
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
