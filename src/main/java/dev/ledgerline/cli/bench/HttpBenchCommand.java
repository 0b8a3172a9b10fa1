package dev.ledgerline.cli.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.LocalDate;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench http}: a load generator against a running node. Each of N connections sends requests
 * back to back (closed loop) for the duration: single transfers on {@code POST /v1/transfers}, then batches on
 * {@code POST /v1/transfers/batch}; every request carries a bearer token and its own idempotency key, as production
 * traffic does.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
    description = {"Load-test a running node's transfer API over HTTP.",
        "Start the node with `scripts/ledgerline run --config conf/bench.yaml`: the default rate limits would answer "
            + "most requests 429."})
public final class HttpBenchCommand implements Callable<Integer> {
  @picocli.CommandLine.Mixin
  BenchTarget target = new BenchTarget("bench");

  @Option(names = "--token",
      description = "Bearer token; by default one is signed for --sub with the node's configured or development key.")
  String token;

  @Option(names = "--connections", description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
  int connections = 64;

  @picocli.CommandLine.Mixin
  BenchWindow window = new BenchWindow(20, 5);

  @Option(names = "--batch", description = "Transfers per batch request (default: ${DEFAULT-VALUE}).")
  int batch = 100;

  @Option(names = "--accounts", description = "Accounts to spread transfers over (default: ${DEFAULT-VALUE}).")
  int accounts = 1000;

  @Option(names = "--ledger", description = "Ledger of the accounts and transfers (default: ${DEFAULT-VALUE}).")
  int ledger = 1;

  @Option(names = "--mode", description = "single, batch or both (default: ${DEFAULT-VALUE}).")
  String mode = "both";

  /** What one phase measured. */
  public record PhaseResult(String name, double requestsPerSecond, double transfersPerSecond, double p50Ms,
      double p99Ms, double p999Ms, Map<Integer, Long> statuses, long errors) {
    JsonObject toJson() {
      JsonObject s = new JsonObject();
      statuses.forEach((k, v) -> s.put(String.valueOf(k), v));
      return new JsonObject().put("phase", name).put("requests_per_s", round(requestsPerSecond))
          .put("transfers_per_s", round(transfersPerSecond)).put("p50_ms", p50Ms).put("p99_ms", p99Ms)
          .put("p999_ms", p999Ms).put("statuses", s).put("transport_errors", errors);
    }
  }

  @Option(names = "--tracing", paramLabel = "MODES",
      description = {"Measure tracing overhead instead of a running node: for each mode (off, or a sampling ratio "
          + "such as 0.1 or 1.0) start a node in this process with --config/--set, spans exported (Zipkin format) "
          + "to a local sink that accepts and drops them, and run the phases against it. Example: --tracing "
          + "off,0.1,1.0 --mode single."})
  String tracing;

  @Override
  public Integer call() {
    if (tracing != null) {
      return new TracingBench(this, target.configOptions, tracing).call();
    }
    if (token == null) {
      token = target.userToken();
    }
    JsonArray results = measure(URI.create(target.url));
    System.out.println(new JsonObject().put("bench", "http").put("date", LocalDate.now().toString())
        .put("connections", connections).put("duration_s", window.durationSeconds).put("results", results).encode());
    return 0;
  }

  /** Creates the accounts, then runs the phases {@code --mode} asks for against {@code base} with {@link #token}. */
  JsonArray measure(URI base) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    WebClient client = BenchHttp.client(vertx, base, connections);
    try {
      String[] ids = createAccounts(client).toCompletionStage().toCompletableFuture().join();
      prepareBodies(ids);
      JsonArray results = new JsonArray();
      if (!"batch".equals(mode)) {
        results.add(print(run(client, ids, 1)).toJson());
      }
      if (!"single".equals(mode)) {
        results.add(print(run(client, ids, batch)).toJson());
      }
      return results;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  private Future<String[]> createAccounts(WebClient client) {
    String[] ids = new String[accounts];
    java.util.List<Future<Void>> all = new java.util.ArrayList<>();
    for (int i = 0; i < accounts; i++) {
      int idx = i;
      all.add(client.post("/v1/accounts").bearerTokenAuthentication(token)
          .putHeader("Idempotency-Key", UUID.randomUUID().toString())
          .putHeader("content-type", "application/json")
          .sendBuffer(Buffer.buffer(new JsonObject().put("ledger", ledger).put("code", 1).encode()))
          .compose(r -> {
            if (r.statusCode() != 201) {
              return Future.failedFuture("creating account " + idx + " answered " + r.statusCode() + ": "
                  + r.bodyAsString());
            }
            ids[idx] = r.bodyAsJsonObject().getString("id");
            return Future.<Void>succeededFuture();
          }));
    }
    return Future.all(all).map(v -> ids);
  }

  private final String keyPrefix = "bench-" + UUID.randomUUID() + "-";
  private final AtomicLong keys = new AtomicLong();
  private Buffer[] singleBodies;
  private Buffer[] batchBodies;

  private void prepareBodies(String[] ids) {
    java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
    singleBodies = new Buffer[4096];
    for (int i = 0; i < singleBodies.length; i++) {
      singleBodies[i] = Buffer.buffer(transfer(ids, rnd).encode());
    }
    batchBodies = new Buffer[64];
    for (int b = 0; b < batchBodies.length; b++) {
      JsonArray list = new JsonArray();
      for (int i = 0; i < batch; i++) {
        list.add(transfer(ids, rnd));
      }
      batchBodies[b] = Buffer.buffer(new JsonObject().put("transfers", list).encode());
    }
  }

  private PhaseResult run(WebClient client, String[] ids, int perRequest) {
    String name = perRequest == 1 ? "single" : "batch-" + perRequest;
    Recorder recorder = new Recorder(3);
    Map<Integer, Long> statuses = new ConcurrentHashMap<>();
    LongAdder errors = new LongAdder();
    AtomicLong completed = new AtomicLong();
    long start = System.nanoTime();
    BenchWindow.Deadlines deadlines = window.deadlines(start);
    long measureFrom = deadlines.measureFrom();
    long end = deadlines.end();
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(connections);
    for (int c = 0; c < connections; c++) {
      loop(client, ids, perRequest, c, measureFrom, end, recorder, statuses, errors, completed, done);
    }
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Histogram h = recorder.getIntervalHistogram();
    double seconds = window.durationSeconds;
    long ok = completed.get();
    return new PhaseResult(name, ok / seconds, ok * (double) perRequest / seconds,
        h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
        new java.util.TreeMap<>(statuses), errors.sum());
  }

  private void loop(WebClient client, String[] ids, int perRequest, int conn, long measureFrom, long end,
      Recorder recorder, Map<Integer, Long> statuses, LongAdder errors, AtomicLong completed,
      java.util.concurrent.CountDownLatch done) {
    long now = System.nanoTime();
    if (now >= end) {
      done.countDown();
      return;
    }
    java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
    // Bodies are made before the run, so the generator spends its CPU on requests rather than on JSON encoding. Each
    // request still has its own idempotency key, from which the gateway derives distinct transfer ids.
    Buffer[] bodies = perRequest == 1 ? singleBodies : batchBodies;
    Buffer body = bodies[rnd.nextInt(bodies.length)];
    String path = perRequest == 1 ? "/v1/transfers" : "/v1/transfers/batch";
    client.post(path).bearerTokenAuthentication(token)
        .putHeader("Idempotency-Key", keyPrefix + keys.incrementAndGet())
        .putHeader("content-type", "application/json")
        .sendBuffer(body)
        .onComplete(ar -> {
          long t = System.nanoTime();
          if (now >= measureFrom && t <= end) {
            recorder.recordValue(Math.max(1, (t - now) / 1000));
            if (ar.succeeded()) {
              HttpResponse<Buffer> r = ar.result();
              statuses.merge(r.statusCode(), 1L, Long::sum);
              if (r.statusCode() < 300) {
                completed.incrementAndGet();
              }
            } else {
              errors.increment();
            }
          }
          loop(client, ids, perRequest, conn, measureFrom, end, recorder, statuses, errors, completed, done);
        });
  }

  private JsonObject transfer(String[] ids, java.util.concurrent.ThreadLocalRandom rnd) {
    int d = rnd.nextInt(ids.length);
    int c = rnd.nextInt(ids.length - 1);
    if (c >= d) {
      c++;
    }
    return new JsonObject().put("debit_account_id", ids[d]).put("credit_account_id", ids[c])
        .put("amount", "1").put("ledger", ledger).put("code", 1);
  }

  private static PhaseResult print(PhaseResult r) {
    System.out.printf("%-10s %10.0f req/s %12.0f transfers/s   p50 %7.2f ms  p99 %7.2f ms  p999 %7.2f ms  "
        + "statuses %s  transport errors %d%n", r.name(), r.requestsPerSecond(), r.transfersPerSecond(), r.p50Ms(),
        r.p99Ms(), r.p999Ms(), r.statuses(), r.errors());
    return r;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
