package dev.ledgerline.cli.bench;

import dev.ledgerline.infra.Processes;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.conformance.ConformanceRunnerSupport;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Logging;
import dev.ledgerline.node.Node;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench ledger-bus}: a ledger node (embedded engine, in process) and N concurrent senders on the
 * event bus, each sending single-transfer requests through {@link LedgerClient} as fast as replies come back. Runs
 * once with batching and once with {@code ledger.batch.max-events = 1}, and prints the ratio.
 */
@Command(name = "ledger-bus", mixinStandardHelpOptions = true,
    description = "Benchmark the ledger verticle's batching over the event bus (embedded engine).")
public final class LedgerBusBenchCommand implements Callable<Integer> {

  @Option(names = "--senders", defaultValue = "64", description = "Concurrent senders (default ${DEFAULT-VALUE}).")
  int senders;

  @Mixin
  BenchWindow window = new BenchWindow(10, 3);

  @Option(names = "--batch-max", description = "Run only with this ledger.batch.max-events (1..8190); by default "
      + "runs 8190, then 1, and prints the ratio.")
  Integer batchMax;

  @Option(names = "--sender-loops", defaultValue = "2",
      description = "Event loops the senders are spread over (default ${DEFAULT-VALUE}).")
  int senderLoops;

  @Option(names = "--accounts", defaultValue = "10000", description = "Accounts transfers are spread over.")
  int accounts;

  @Option(names = "--cluster", description = "Run the senders on a second node, clustered with the ledger node over "
      + "Hazelcast on loopback (start the JVM with the pom's hazelcast.jvm.flags to avoid warnings).")
  boolean cluster;

  @Option(names = "--unsafe-no-fsync", description = "Do not fsync the engine's log (measures the bus, not the disk).")
  boolean noFsync;

  @Option(names = "--data-dir", description = "Parent of the runs' data directories (default: temporary, deleted).")
  Path dataDir;

  /** One run's figures. */
  record Result(int batchMax, long transfers, double seconds, double tps, double p50Us, double p99Us,
      double p999Us, double meanBatch, long errors) {
    String json(boolean cluster, int senders, boolean fsync) {
      return String.format(Locale.ROOT, "{\"bench\":\"ledger-bus\",\"cluster\":%b,\"senders\":%d,\"fsync\":%b,"
          + "\"batch_max\":%d,\"transfers\":%d,\"seconds\":%.3f,\"tps\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
          + "\"p999_us\":%.1f,\"mean_batch\":%.2f,\"errors\":%d}", cluster, senders, fsync, batchMax, transfers,
          seconds, tps, p50Us, p99Us, p999Us, meanBatch, errors);
    }
  }

  @Override
  public Integer call() throws Exception {
    Logging.setLevel("WARN");
    if (senders < 1) throw new IllegalArgumentException("--senders must be positive");
    if (accounts < 2) throw new IllegalArgumentException("--accounts must be at least 2");
    List<Integer> runs = batchMax != null ? List.of(batchMax) : List.of(8190, 1);
    List<Result> results = new ArrayList<>();
    for (int max : runs) {
      Result r = run(max);
      results.add(r);
      System.out.printf(Locale.ROOT, "%s, fsync %s, batch-max %d: %,.0f transfers/s (%,d in %.1f s), "
          + "latency p50 %.0f us, p99 %.0f us, p999 %.0f us, mean batch %.1f events, errors %d%n",
          cluster ? "clustered" : "one node", noFsync ? "off" : "on", max, r.tps(), r.transfers(), r.seconds(),
          r.p50Us(), r.p99Us(), r.p999Us(), r.meanBatch(), r.errors());
      System.out.println(r.json(cluster, senders, !noFsync));
    }
    if (results.size() == 2) {
      System.out.printf(Locale.ROOT, "batching speed-up (batch-max %d vs 1): %.1fx%n", runs.get(0),
          results.get(0).tps() / results.get(1).tps());
    }
    return results.stream().anyMatch(r -> r.errors() > 0) ? 1 : 0;
  }

  private Result run(int max) throws Exception {
    Path dir = dataDir == null ? Files.createTempDirectory("ledgerline-bench-bus-")
        : Files.createDirectories(dataDir.resolve("batch-max-" + max + "-" + System.nanoTime()));
    int mgmt = Processes.freeLoopbackPort();
    Map<String, String> ledger = new HashMap<>(Map.of("node.roles", "ledger", "node.id", "bench-ledger",
        "management.port", String.valueOf(mgmt), "gateway.port", String.valueOf(Processes.freeLoopbackPort()),
        "ledger.engine.data-dir", dir.resolve("ledger").toString(), "ledger.batch.max-events", String.valueOf(max),
        "config.scan-interval", "0s"));
    // Each run's own PostgreSQL (the ledger's write lease lives there): a lease left by another run's ledger would
    // refuse this one. As root the embedded server runs unprivileged, so the directory must let it through.
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    ledger.put("postgres.data-dir", dir.resolve("pg").toString());
    if (noFsync) {
      ledger.put("ledger.engine.fsync", "false");
      ledger.put("ledger.engine.unsafe-no-fsync", "true");
    }
    Map<String, String> senderNode = null;
    if (cluster) {
      int hz1 = Processes.freeLoopbackPort();
      int hz2 = Processes.freeLoopbackPort();
      String members = "127.0.0.1:" + hz1 + ",127.0.0.1:" + hz2;
      String name = "bench-" + System.nanoTime();
      ledger.putAll(Map.of("cluster.enabled", "true", "cluster.name", name, "cluster.port", String.valueOf(hz1),
          "cluster.members", members));
      senderNode = new HashMap<>(Map.of("cluster.enabled", "true", "cluster.name", name, "cluster.port",
          String.valueOf(hz2), "cluster.members", members, "node.roles", "cache", "node.id", "bench-senders",
          "management.port", String.valueOf(Processes.freeLoopbackPort()),
          "gateway.port", String.valueOf(Processes.freeLoopbackPort()), "config.scan-interval", "0s"));
    }
    Node ledgerNode = start(ledger);
    Node sendersNode = null;
    List<Senders> groups = new ArrayList<>();
    try {
      if (senderNode != null) sendersNode = start(senderNode);
      Vertx vertx = sendersNode == null ? ledgerNode.vertx() : sendersNode.vertx();
      LedgerClient client = new LedgerClient(vertx, Duration.ofSeconds(30));
      createAccounts(client, max);
      int loops = Math.max(1, Math.min(senderLoops, senders));
      for (int i = 0; i < loops; i++) {
        Senders s = new Senders(client, senders / loops + (i < senders % loops ? 1 : 0), i);
        vertx.deployVerticle(s).await();
        groups.add(s);
      }
      window.warmUp();
      double[] before = batchStats(ledgerNode.vertx(), mgmt);
      long start = System.nanoTime();
      groups.forEach(Senders::measure);
      window.hold();
      List<Future<Senders>> stopped = groups.stream().map(Senders::finish).toList();
      double secs = (System.nanoTime() - start) / 1e9;
      double[] after = batchStats(ledgerNode.vertx(), mgmt);
      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
      long completed = 0;
      long errors = 0;
      for (Future<Senders> f : stopped) {
        Senders s = f.timeout(60, TimeUnit.SECONDS).await();
        latency.add(s.latency);
        completed += s.completed;
        errors += s.errors;
        if (s.firstError != null) System.err.println("bench: first failed request: " + s.firstError);
      }
      groups.clear();
      double batches = after[0] - before[0];
      return new Result(max, completed, secs, completed / secs, latency.getValueAtPercentile(50) / 1000.0,
          latency.getValueAtPercentile(99) / 1000.0, latency.getValueAtPercentile(99.9) / 1000.0,
          batches == 0 ? 0 : (after[1] - before[1]) / batches, errors);
    } catch (Exception | Error e) {
      System.err.println("bench run with batch-max " + max + " failed: " + e);
      throw e;
    } finally {
      // Senders first: they must not keep sending into a ledger that is going away.
      for (Senders s : groups) s.finish().timeout(60, TimeUnit.SECONDS).otherwiseEmpty().await();
      if (sendersNode != null) sendersNode.stop().join();
      ledgerNode.stop().join();
      if (dataDir == null) ConformanceRunnerSupport.deleteRecursively(dir);
    }
  }

  /** A node from these keys alone (no file, no environment), started. */
  static Node start(Map<String, String> sets) {
    return new Node(ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), sets))).start().await();
  }

  /** Creates the accounts in requests the ledger accepts (at most max-events each), many at a time. */
  private void createAccounts(LedgerClient client, int max) {
    List<Future<List<CreateAccountsResult>>> replies = new ArrayList<>();
    for (int from = 0; from < accounts; from += max) {
      List<Account> request = new ArrayList<>();
      for (int i = from; i < Math.min(accounts, from + max); i++) request.add(Account.of(UInt128.of(i + 1), 1, 1, 0));
      replies.add(client.createAccounts(request));
      if (replies.size() == 256) awaitAccounts(replies);
    }
    awaitAccounts(replies);
  }

  private static void awaitAccounts(List<Future<List<CreateAccountsResult>>> replies) {
    for (Future<List<CreateAccountsResult>> f : replies) {
      List<CreateAccountsResult> r = f.await();
      if (!r.isEmpty()) throw new IllegalStateException("account creation failed: " + r.get(0));
    }
    replies.clear();
  }

  /** ledger_batch_events count and sum for create_transfers, from the ledger node's /metrics. */
  private static double[] batchStats(Vertx vertx, int port) {
    // Held and closed explicitly: an unreachable client may be closed by the garbage collector mid-request.
    io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    try {
      String body = http.request(HttpMethod.GET, port, "127.0.0.1", "/metrics")
          .compose(req -> req.send().compose(resp -> resp.body())).await().toString();
      return new double[] {metric(body, "count"), metric(body, "sum")};
    } finally {
      http.close();
    }
  }

  private static double metric(String body, String suffix) {
    Matcher m = Pattern.compile("(?m)^ledger_batch_events_" + suffix
        + "\\{operation=\"create_transfers\",?\\} ([0-9.eE+-]+)$").matcher(body);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }


  /** A group of senders on one event loop: each sends its next transfer as soon as its reply arrives. */
  private final class Senders extends VerticleBase {
    private final LedgerClient client;
    private final int count;
    private final long idHi;
    final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
    private final SplittableRandom random;
    private long nextId = 1;
    private boolean measuring;
    private boolean running = true;
    long completed;
    long errors;
    Throwable firstError;
    private Promise<Senders> stopped;
    private int active;

    Senders(LedgerClient client, int count, int group) {
      this.client = client;
      this.count = count;
      this.idHi = group + 1L;
      this.random = new SplittableRandom(42 + group);
    }

    @Override
    public Future<?> start() {
      active = count;
      for (int i = 0; i < count; i++) send();
      return Future.succeededFuture();
    }

    private void send() {
      if (!running) {
        if (--active == 0) stopped.tryComplete(this);
        return;
      }
      long dr = 1 + random.nextInt(accounts);
      long cr = 1 + random.nextInt(accounts - 1);
      if (cr >= dr) cr++;
      Transfer t = Transfer.of(UInt128.of(nextId++, idHi), UInt128.of(dr), UInt128.of(cr), UInt128.ONE, 1, 1, 0);
      long sent = System.nanoTime();
      client.createTransfers(List.of(t)).onComplete(ar -> {
        if (measuring) {
          latency.recordValue(Math.min(latency.getHighestTrackableValue(), System.nanoTime() - sent));
          completed++;
          if (ar.failed() || !ar.result().isEmpty()) errors++;
        }
        if (ar.failed()) {
          // A failure may be reported synchronously (e.g. no ledger reachable): never recurse, back off a tick.
          if (firstError == null) firstError = ar.cause();
          vertx.setTimer(1, id -> send());
        } else {
          send();
        }
      });
    }

    void measure() {
      context.runOnContext(v -> measuring = true);
    }

    /** Stops measuring now; completes once every sender's last request is answered. */
    Future<Senders> finish() {
      Promise<Senders> done = Promise.promise();
      context.runOnContext(v -> {
        measuring = false;
        running = false;
        stopped = done;
        if (active == 0) done.tryComplete(this);
      });
      return done.future();
    }
  }
}
