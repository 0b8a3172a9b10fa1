package dev.ledgerline.cli.bench;

import dev.ledgerline.cli.CliLogging;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.TransferFlags;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench ledger}: drives the embedded engine like {@code tigerbeetle benchmark} (one client, full
 * batches of valid transfers, fsync on), then reopens the data directory it produced.
 */
@Command(name = "ledger", mixinStandardHelpOptions = true,
    description = "Benchmark the embedded ledger engine (fsync on).")
public final class LedgerBenchCommand implements Callable<Integer> {

  @Option(names = "--accounts", defaultValue = "10000") int accounts;
  @Option(names = "--hot-accounts", defaultValue = "0", description = "Debit side drawn from this many hot accounts.")
  int hotAccounts;
  @Option(names = "--transfers", defaultValue = "10000000") long transfers;
  @Option(names = "--batch", defaultValue = "8190") int batch;
  @Option(names = "--pending-percent", defaultValue = "0",
      description = "Share of pending transfers (timeout 1-60 s).") int pendingPercent;
  @Option(names = "--id-order", defaultValue = "sequential", description = "sequential or random.") String idOrder;
  @Option(names = "--data-dir", description = "Data directory (default: a temporary one, deleted afterwards).")
  Path dataDir;
  @Option(names = "--in-flight", defaultValue = "2",
      description = "Batches submitted before waiting (lets execution overlap the previous batch's fsync).")
  int inFlight;
  @Option(names = "--snapshot-interval", defaultValue = "60s") String snapshotInterval;
  @Option(names = "--seed", defaultValue = "42") long seed;

  /** The last run's accepted load (transfers per second), for benchmarks that compare against the engine. */
  double tps;

  @Override
  public Integer call() throws Exception {
    CliLogging.quiet();
    if (batch < 1 || batch > LedgerBackend.BATCH_MAX) throw new IllegalArgumentException("--batch must be 1..8190");
    if (accounts < 2) throw new IllegalArgumentException("--accounts must be at least 2");
    boolean random = switch (idOrder) {
      case "sequential" -> false;
      case "random" -> true;
      default -> throw new IllegalArgumentException("--id-order must be sequential or random");
    };
    boolean temp = dataDir == null;
    if (!temp && Files.isDirectory(dataDir)) {
      try (var entries = Files.list(dataDir)) {
        if (entries.findAny().isPresent()) {
          System.err.println("bench ledger: --data-dir " + dataDir + " is not empty; the benchmark needs a fresh one");
          return 2;
        }
      }
    }
    Path dir = temp ? Files.createTempDirectory("ledgerline-bench-") : dataDir;
    EngineConfig config = EngineConfig.from(k -> switch (k) {
      case "ledger.engine.data-dir" -> dir.toString();
      case "ledger.engine.snapshot-interval" -> snapshotInterval;
      default -> null;
    });
    System.err.printf(Locale.ROOT, "bench ledger: %d accounts (%d hot), %d transfers, batch %d, %d%% pending, "
        + "%s ids, data dir %s%n", accounts, hotAccounts, transfers, batch, pendingPercent, idOrder, dir);
    SplittableRandom rnd = new SplittableRandom(seed);
    Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    long elapsedNs;
    LedgerEngine.Stats stats;
    long closeMs;
    LedgerEngine engine = LedgerEngine.open(config);
    try {
      createAccounts(engine);
      BlockingQueue<ByteBuffer> pool = new ArrayBlockingQueue<>(inFlight + 1);
      for (int i = 0; i <= inFlight; i++) {
        pool.add(ByteBuffer.allocate(batch * 128).order(ByteOrder.LITTLE_ENDIAN));
      }
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong done = new AtomicLong();
      long idBaseLo = random ? 0 : 1;
      long start = System.nanoTime();
      long lastProgress = start;
      long sent = 0;
      while (sent < transfers && failure.get() == null) {
        ByteBuffer buf = pool.take();
        int n = (int) Math.min(batch, transfers - sent);
        fill(buf, n, sent, idBaseLo, random, rnd);
        long submitted = System.nanoTime();
        final int count = n;
        engine.createTransfersEncoded(buf.duplicate().limit(n * 128)).whenComplete((res, err) -> {
          latency.recordValue(Math.min(latency.getHighestTrackableValue(),
              (System.nanoTime() - submitted) / 1000));
          if (err != null) failure.compareAndSet(null, err);
          else if (!res.isEmpty()) failure.compareAndSet(null, new IllegalStateException("transfer failed: "
              + res.get(0) + " (" + res.size() + " failures in batch)"));
          done.addAndGet(count);
          pool.add(buf);
        });
        sent += n;
        long now = System.nanoTime();
        if (now - lastProgress > 1_000_000_000L) {
          lastProgress = now;
          System.err.printf(Locale.ROOT, "  %,d / %,d transfers (%,.0f/s)%n", done.get(), transfers,
              done.get() / ((now - start) / 1e9));
        }
      }
      // Wait for everything in flight.
      for (int i = 0; i <= inFlight; i++) pool.take();
      elapsedNs = System.nanoTime() - start;
      if (failure.get() != null) {
        System.err.println("bench failed: " + failure.get());
        return 1;
      }
      stats = engine.stats();
    } finally {
      long closeStart = System.nanoTime();
      engine.close(); // idempotent; timed because it writes the final snapshot
      closeMs = (System.nanoTime() - closeStart) / 1_000_000;
    }
    // A restart starts in a fresh process: drop the closed engine's state before timing the reopen.
    System.gc();
    long reopenStart = System.nanoTime();
    LedgerEngine.RecoveryInfo recovery;
    try (LedgerEngine reopened = LedgerEngine.open(config.withSnapshotOnClose(false))) {
      recovery = reopened.recoveryInfo();
    }
    long reopenMs = (System.nanoTime() - reopenStart) / 1_000_000;
    tps = transfers / (elapsedNs / 1e9);
    double bytesPerTransfer = stats.transfers() == 0 ? 0 : (double) stats.memoryBytes() / stats.transfers();
    System.out.printf(Locale.ROOT, "load accepted = %,.0f tx/s (%,d transfers in %.2f s)%n", tps, transfers,
        elapsedNs / 1e9);
    System.out.printf(Locale.ROOT, "batch latency p50 = %.1f ms, p99 = %.1f ms, max = %.1f ms%n",
        latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
        latency.getMaxValue() / 1000.0);
    System.out.printf(Locale.ROOT, "bytes per stored transfer = %.1f (state arrays %,d bytes)%n", bytesPerTransfer,
        stats.memoryBytes());
    System.out.printf(Locale.ROOT, "close (final snapshot) = %d ms; reopen = %d ms (snapshot at op %d, %d records "
        + "replayed)%n", closeMs, reopenMs, recovery.snapshotOp(), recovery.replayedRecords());
    System.out.printf(Locale.ROOT, "{\"bench\":\"ledger\",\"accounts\":%d,\"hot_accounts\":%d,\"transfers\":%d,"
            + "\"batch\":%d,\"pending_percent\":%d,\"id_order\":\"%s\",\"tps\":%.0f,\"elapsed_s\":%.3f,"
            + "\"batch_p50_ms\":%.3f,\"batch_p99_ms\":%.3f,\"batch_max_ms\":%.3f,\"bytes_per_transfer\":%.1f,"
            + "\"wal_bytes\":%d,\"close_ms\":%d,\"reopen_ms\":%d}%n",
        accounts, hotAccounts, transfers, batch, pendingPercent, idOrder, tps, elapsedNs / 1e9,
        latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
        latency.getMaxValue() / 1000.0, bytesPerTransfer, stats.walBytes(), closeMs, reopenMs);
    if (temp) dev.ledgerline.ledger.conformance.ConformanceRunnerSupport.deleteRecursively(dir);
    return 0;
  }

  private void createAccounts(LedgerEngine engine) throws Exception {
    for (int from = 0; from < accounts; from += LedgerBackend.BATCH_MAX) {
      int n = Math.min(LedgerBackend.BATCH_MAX, accounts - from);
      ByteBuffer b = ByteBuffer.allocate(n * 128).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        int off = i * 128;
        b.putLong(off, from + i + 1); // account ids 1..accounts
        b.putInt(off + 112, 1); // ledger
        b.putShort(off + 116, (short) 1); // code
      }
      List<CreateAccountsResult> r = engine.createAccountsEncoded(b).toCompletableFuture().get();
      if (!r.isEmpty()) throw new IllegalStateException("account creation failed: " + r.get(0));
    }
  }

  private void fill(ByteBuffer b, int n, long sent, long idBase, boolean randomIds, SplittableRandom rnd) {
    for (int i = 0; i < n; i++) {
      int off = i * 128;
      long idLo;
      long idHi;
      if (randomIds) {
        idLo = rnd.nextLong();
        idHi = rnd.nextLong() | 1L << 62; // never 0, never max
      } else {
        idLo = idBase + sent + i;
        idHi = 0;
      }
      long dr;
      if (hotAccounts > 0) dr = 1 + rnd.nextInt(Math.min(hotAccounts, accounts));
      else dr = 1 + rnd.nextInt(accounts);
      long cr = 1 + rnd.nextInt(accounts - 1);
      if (cr >= dr) cr++;
      boolean pending = pendingPercent > 0 && rnd.nextInt(100) < pendingPercent;
      long amount = 1 + (long) (-Math.log(1 - rnd.nextDouble()) * 10_000); // exponential around 10,000
      b.putLong(off, idLo).putLong(off + 8, idHi);
      b.putLong(off + 16, dr).putLong(off + 24, 0);
      b.putLong(off + 32, cr).putLong(off + 40, 0);
      b.putLong(off + 48, amount).putLong(off + 56, 0);
      b.putLong(off + 64, 0).putLong(off + 72, 0);
      b.putLong(off + 80, 0).putLong(off + 88, 0);
      b.putLong(off + 96, 0);
      b.putInt(off + 104, 0);
      b.putInt(off + 108, pending ? 1 + rnd.nextInt(60) : 0);
      b.putInt(off + 112, 1);
      b.putShort(off + 116, (short) (1 + rnd.nextInt(100)));
      b.putShort(off + 118, (short) (pending ? TransferFlags.PENDING : 0));
      b.putLong(off + 120, 0);
    }
  }
}
