package dev.ledgerline.cli.bench;

import dev.ledgerline.infra.Processes;
import com.tigerbeetle.AccountBatch;
import com.tigerbeetle.Client;
import com.tigerbeetle.CreateTransferResultBatch;
import com.tigerbeetle.TransferBatch;
import com.tigerbeetle.UInt128;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.conformance.ConformanceRunnerSupport;
import dev.ledgerline.node.Logging;
import dev.ledgerline.node.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench wire}: {@code create_transfers} in full batches through the official TigerBeetle Java client
 * against a ledger node's wire listener (embedded engine, fsync on), next to {@code bench ledger}'s engine figure
 * measured in the same run. The difference is the protocol: checksums, framing, the batcher and the client.
 */
@Command(name = "wire", mixinStandardHelpOptions = true,
    description = "Benchmark the TigerBeetle wire listener with the official Java client (fsync on).")
public final class WireBenchCommand implements Callable<Integer> {

  @Option(names = "--accounts", defaultValue = "10000") int accounts;
  @Option(names = "--transfers", defaultValue = "2000000") long transfers;
  @Option(names = "--batch", defaultValue = "8190") int batch;
  @Option(names = "--clients", defaultValue = "2", description = "Client sessions, batches sent round-robin: a "
      + "TigerBeetle client has one request in flight, so a second one lets a batch travel while another executes.")
  int clients;
  @Option(names = "--publish-committed", description = "Keep ledger.publish-committed on (a feed read and an account "
      + "lookup per batch for the live stream, which bench ledger does not do).")
  boolean publishCommitted;
  @Option(names = "--skip-engine", description = "Do not measure bench ledger's engine figure first.")
  boolean skipEngine;

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || batch > LedgerBackend.BATCH_MAX) throw new IllegalArgumentException("--batch must be 1..8190");
    if (accounts < 2) throw new IllegalArgumentException("--accounts must be at least 2");
    double engineTps = 0;
    if (!skipEngine) {
      LedgerBenchCommand engine = new LedgerBenchCommand();
      engine.accounts = accounts;
      engine.transfers = transfers;
      engine.batch = batch;
      engine.idOrder = "sequential";
      engine.inFlight = 2;
      engine.snapshotInterval = "60s";
      engine.seed = 42;
      System.out.println("-- bench ledger (the engine, in process) --");
      if (engine.call() != 0) return 1;
      engineTps = engine.tps;
    }
    Logging.setLevel("WARN");
    System.out.println("-- bench wire (official client -> wire listener -> batcher -> engine) --");
    Path dir = Files.createTempDirectory("ledgerline-bench-wire-");
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    int port = Processes.freeLoopbackPort();
    Node node = LedgerBusBenchCommand.start(Map.of("node.roles", "ledger", "node.id", "bench-wire",
        "ledger.publish-committed", String.valueOf(publishCommitted),
        "management.port", String.valueOf(Processes.freeLoopbackPort()),
        "gateway.port", String.valueOf(Processes.freeLoopbackPort()),
        "ledger.engine.data-dir", dir.resolve("ledger").toString(), "postgres.data-dir", dir.resolve("pg").toString(),
        "ledger.wire.enabled", "true", "ledger.wire.port", String.valueOf(port), "config.scan-interval", "0s"));
    double wireTps;
    Client[] sessions = new Client[Math.max(1, clients)];
    try {
      for (int i = 0; i < sessions.length; i++) {
        sessions[i] = new Client(UInt128.asBytes(0), new String[] {"127.0.0.1:" + port});
      }
      createAccounts(sessions[0]);
      wireTps = createTransfers(sessions);
    } finally {
      for (Client c : sessions) {
        if (c != null) c.close();
      }
      node.stop().join();
      ConformanceRunnerSupport.deleteRecursively(dir);
    }
    if (engineTps > 0) {
      System.out.printf(Locale.ROOT, "wire / engine = %.0f%% (%,.0f vs %,.0f transfers/s)%n",
          100 * wireTps / engineTps, wireTps, engineTps);
    }
    System.out.printf(Locale.ROOT, "{\"bench\":\"wire\",\"transfers\":%d,\"batch\":%d,\"clients\":%d,"
        + "\"fsync\":true,\"tps\":%.0f,\"engine_tps\":%.0f}%n", transfers, batch, clients, wireTps, engineTps);
    return 0;
  }

  private void createAccounts(Client client) {
    for (int from = 0; from < accounts; from += LedgerBackend.BATCH_MAX) {
      int n = Math.min(LedgerBackend.BATCH_MAX, accounts - from);
      AccountBatch a = new AccountBatch(n);
      for (int i = 0; i < n; i++) {
        a.add();
        a.setId(from + i + 1, 0);
        a.setLedger(1);
        a.setCode(1);
      }
      if (client.createAccounts(a).getLength() != 0) throw new IllegalStateException("account creation failed");
    }
  }

  /** Sends every transfer in full batches, one in flight per client; returns transfers per second. */
  private double createTransfers(Client[] sessions) throws Exception {
    SplittableRandom rnd = new SplittableRandom(42);
    Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    Deque<CompletableFuture<CreateTransferResultBatch>> pending = new ArrayDeque<>();
    long start = System.nanoTime();
    long sent = 0;
    while (sent < transfers) {
      int n = (int) Math.min(batch, transfers - sent);
      TransferBatch b = new TransferBatch(n);
      for (int i = 0; i < n; i++) {
        long dr = 1 + rnd.nextInt(accounts);
        long cr = 1 + rnd.nextInt(accounts - 1);
        if (cr >= dr) cr++;
        b.add();
        b.setId(sent + i + 1, 0);
        b.setDebitAccountId(dr, 0);
        b.setCreditAccountId(cr, 0);
        b.setAmount(1 + rnd.nextInt(20_000));
        b.setLedger(1);
        b.setCode(1);
      }
      long submitted = System.nanoTime();
      pending.add(sessions[(int) (sent / batch % sessions.length)].createTransfersAsync(b).whenComplete((r, e) -> latency.recordValue(
          Math.min(latency.getHighestTrackableValue(), (System.nanoTime() - submitted) / 1000))));
      sent += n;
      if (pending.size() >= sessions.length) check(pending.poll().get(60, TimeUnit.SECONDS));
    }
    while (!pending.isEmpty()) check(pending.poll().get(60, TimeUnit.SECONDS));
    double secs = (System.nanoTime() - start) / 1e9;
    double tps = transfers / secs;
    System.out.printf(Locale.ROOT, "wire load accepted = %,.0f tx/s (%,d transfers in %.2f s), batch latency "
        + "p50 = %.1f ms, p99 = %.1f ms%n", tps, transfers, secs, latency.getValueAtPercentile(50) / 1000.0,
        latency.getValueAtPercentile(99) / 1000.0);
    return tps;
  }

  private static void check(CreateTransferResultBatch r) {
    if (r.getLength() != 0) {
      r.next();
      throw new IllegalStateException("transfer " + r.getIndex() + " failed: " + r.getResult());
    }
  }
}
