package dev.ledgerline.cli.bench;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.node.Logging;
import dev.ledgerline.node.Node;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench webhooks}: a gateway and ledger node on an embedded PostgreSQL delivers to a receiver on
 * loopback (another Vert.x instance in this process, answering 204 at once). A user's transfers are posted in batches
 * at {@code --rate} transfers per second; every transfer goes to each of {@code --endpoints} endpoints of the user.
 * Figures, over the deliveries that arrived after the warm-up: deliveries per second from the first of them to the
 * last (with an offered load above what the dispatcher sustains, its capacity), and commit-to-delivery latency (the
 * ledger's commit timestamp in the message to its arrival, both on this machine's clock), p50, p99 and max.
 */
@Command(name = "webhooks", mixinStandardHelpOptions = true,
    description = "Benchmark outbound webhooks: deliveries per second to a local receiver and commit-to-delivery "
        + "latency.")
public final class WebhooksBenchCommand implements Callable<Integer> {
  @Option(names = "--endpoints", defaultValue = "4", description = "Endpoints, each receiving every transfer "
      + "(default ${DEFAULT-VALUE}).")
  int endpoints;

  @Option(names = "--rate", defaultValue = "2500", description = "Transfers committed per second "
      + "(default ${DEFAULT-VALUE}); deliveries per second are this times --endpoints.")
  int rate;

  @Option(names = "--batch", defaultValue = "100", description = "Transfers per POST /v1/transfers/batch.")
  int batch;

  @Mixin
  BenchWindow window = new BenchWindow(20, 5);

  @Option(names = "--concurrency-per-endpoint", defaultValue = "64",
      description = "webhooks.concurrency-per-endpoint of the node (default ${DEFAULT-VALUE}).")
  int perEndpoint;

  @Option(names = "--dispatchers", defaultValue = "4",
      description = "webhooks.dispatchers of the node (default ${DEFAULT-VALUE}).")
  int dispatchers;

  @Override
  public Integer call() throws Exception {
    Logging.setLevel("WARN");
    Path dir = Files.createTempDirectory("ledgerline-bench-webhooks-");
    Map<String, String> sets = BenchNodes.settings(dir);
    sets.put("node.roles", "[\"gateway\",\"ledger\"]");
    int gatewayPort = BenchNodes.gatewayPort(sets);
    sets.put("providers.sandbox.port", "0");
    // The receiver is on loopback over plain http.
    sets.put("webhooks.allow-private", "true");
    sets.put("webhooks.concurrency-per-endpoint", String.valueOf(perEndpoint));
    sets.put("webhooks.dispatchers", String.valueOf(dispatchers));
    ConfigService config = ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), sets));
    Vertx receiverVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Node node = new Node(config).start().await();
    try {
      String admin = BenchHttp.token(config.current(), "bench-admin", Role.ADMIN);
      String user = BenchHttp.token(config.current(), "bench-hooks", Role.USER);
      BenchHttp http = BenchHttp.loopback(node.vertx(), gatewayPort, 16);
      http.post("/v1/admin/users", admin, new JsonObject().put("id", "bench-hooks")
          .put("roles", new JsonArray().add("user")).put("grant", new JsonArray().add("webhooks:manage")), 201);

      Receiver receiver = new Receiver();
      HttpServer server = receiverVertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        receiver.arrived(body.toJsonObject());
        req.response().setStatusCode(204).end();
      })).listen(0, "127.0.0.1").await();
      for (int i = 0; i < endpoints; i++) {
        http.post("/v1/webhooks", user, new JsonObject().put("url", "http://127.0.0.1:" + server.actualPort()
            + "/hook/" + i).put("events", new JsonArray().add("transfer.committed")), 201);
      }
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        accounts.add(http.post("/v1/accounts", user, new JsonObject().put("ledger", 1).put("code", 1), 201)
            .getString("id"));
      }

      long start = System.nanoTime();
      BenchWindow.Deadlines deadlines = window.deadlines(start);
      long end = deadlines.end();
      receiver.window(deadlines.measureFrom(), end);
      long committed = post(node.vertx(), http, user, accounts, start, end);
      long postedAt = System.nanoTime();
      // Let what was committed in the window arrive before reading the figures.
      long settle = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (receiver.total.get() < committed * endpoints && System.nanoTime() < settle) {
        Thread.sleep(50);
      }
      Histogram lag = receiver.lag.getIntervalHistogram();
      System.out.printf(Locale.ROOT, "webhooks: all arrived %.1f s after the last commit; delivery rows: %s%n",
          (System.nanoTime() - postedAt) / 1e9, node.services().pool().query("SELECT status, count(*), "
              + "max(attempts) FROM webhook_deliveries GROUP BY status").execute().await().value().stream()
              .map(r -> r.getString(0) + "=" + r.getLong(1) + " (attempts <= " + r.getInteger(2) + ")").toList());
      double perSecond = receiver.perSecond();
      System.out.printf(Locale.ROOT, "webhooks: %d endpoints, %,d transfers/s offered: %,.0f deliveries/s; "
              + "commit-to-delivery p50 %.1f ms, p99 %.1f ms, max %.1f ms (%,d of %,d deliveries arrived)%n",
          endpoints, rate, perSecond, lag.getValueAtPercentile(50) / 1e3, lag.getValueAtPercentile(99) / 1e3,
          lag.getMaxValue() / 1e3, receiver.total.get(), committed * endpoints);
      System.out.println(new JsonObject().put("bench", "webhooks").put("endpoints", endpoints)
          .put("offered_transfers_per_s", rate).put("deliveries_per_s", Math.round(perSecond))
          .put("p50_ms", lag.getValueAtPercentile(50) / 1e3).put("p99_ms", lag.getValueAtPercentile(99) / 1e3)
          .put("max_ms", lag.getMaxValue() / 1e3).put("arrived", receiver.total.get())
          .put("expected", committed * endpoints).encode());
      server.close().await();
      return 0;
    } finally {
      node.stop().join();
      receiverVertx.close().await();
      PaymentsBenchCommand.deleteRecursively(dir);
    }
  }

  /** Posts transfer batches at {@code --rate} until {@code end}; the number committed. */
  private long post(Vertx vertx, BenchHttp http, String token, List<String> accounts, long start,
      long end) throws InterruptedException {
    AtomicLong committed = new AtomicLong();
    long intervalNanos = (long) (1e9 * batch / rate);
    long next = start;
    List<Future<?>> inFlight = new ArrayList<>();
    int n = 0;
    while (System.nanoTime() < end) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      next += intervalNanos;
      JsonArray transfers = new JsonArray();
      for (int i = 0; i < batch; i++, n++) {
        transfers.add(new JsonObject().put("debit_account_id", accounts.get(n % accounts.size()))
            .put("credit_account_id", accounts.get((n + 1) % accounts.size()))
            .put("amount", "1").put("ledger", 1).put("code", 1));
      }
      inFlight.add(http.send("/v1/transfers/batch", token, new JsonObject().put("transfers", transfers))
          .onSuccess(r -> {
            if (r.statusCode() < 300) {
              committed.addAndGet(batch);
            }
          }));
      inFlight.removeIf(Future::isComplete);
    }
    Future.all(new ArrayList<>(inFlight)).toCompletionStage().toCompletableFuture().exceptionally(e -> null).join();
    return committed.get();
  }

  /** Counts arrivals and records the commit-to-delivery lag of those after the warm-up. */
  static final class Receiver {
    final Recorder lag = new Recorder(3);
    final LongAdder measured = new LongAdder();
    final AtomicLong total = new AtomicLong();
    private volatile long from;
    private volatile long first;
    private volatile long last;

    void window(long fromNanos, long untilNanos) {
      from = fromNanos;
    }

    double perSecond() {
      long span = last - first;
      return span <= 0 ? 0 : measured.sum() / (span / 1e9);
    }

    void arrived(JsonObject message) {
      total.incrementAndGet();
      long now = System.nanoTime();
      if (now < from) {
        return;
      }
      if (first == 0) {
        first = now;
      }
      last = now;
      measured.increment();
      Instant at = Instant.now();
      long committedNanos = Long.parseUnsignedLong(message.getJsonObject("data").getString("timestamp"));
      long nowNanos = at.getEpochSecond() * 1_000_000_000L + at.getNano();
      lag.recordValue(Math.max(0, (nowNanos - committedNanos) / 1000));
    }
  }
}
