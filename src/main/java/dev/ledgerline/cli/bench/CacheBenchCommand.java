package dev.ledgerline.cli.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench cache}: balance reads over HTTP against a running node, in one run: the node's
 * {@code GET /health/live} (the ceiling: no auth, no cache), L1 hits, 304 revalidations ({@code If-None-Match} with
 * the current version), misses ({@code ?consistent=true}, which reads the ledger every time) and, to compare the
 * misses with, a direct ledger read of the same account over the same chain without the cache
 * ({@code GET /v1/accounts/{id}/transfers?limit=1}: the account and its latest transfer, as a miss loads them). A last
 * phase writes transfers between the accounts, each invalidating both balances on the node; the node's
 * {@code ledgerline.cache.invalidation.delay} then gives the invalidation delay's p99. Each phase's hit ratio comes
 * from the node's {@code ledgerline.cache.reads} before and after it. Each of N connections sends requests back to
 * back for the duration of each phase.
 */
@Command(name = "cache", mixinStandardHelpOptions = true,
    description = {"Load-test a running node's balance cache over HTTP.",
        "Start the node with `scripts/ledgerline run --config conf/bench.yaml`: the default rate limits would answer "
            + "most requests 429."})
public final class CacheBenchCommand implements Callable<Integer> {
  @picocli.CommandLine.Mixin
  BenchTarget target = new BenchTarget("bench-cache");

  @Option(names = "--management-url", description = "Management base URL (default: ${DEFAULT-VALUE}).")
  String managementUrl = "http://127.0.0.1:9090";

  @Option(names = "--connections", description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
  int connections = 32;

  @picocli.CommandLine.Mixin
  BenchWindow window = new BenchWindow(10, 3);

  @Option(names = "--accounts", description = "Accounts read (default: ${DEFAULT-VALUE}).")
  int accounts = 100;

  @Option(names = "--no-transfers", description = "Skip the last phase (transfers, invalidation delay).")
  boolean noTransfers;

  /** What one phase measured. */
  record PhaseResult(String name, double perSecond, double p50Ms, double p99Ms, Map<Integer, Long> statuses,
      long errors) {
    JsonObject toJson() {
      JsonObject s = new JsonObject();
      statuses.forEach((k, v) -> s.put(String.valueOf(k), v));
      return new JsonObject().put("phase", name).put("requests_per_s", Math.round(perSecond * 10) / 10.0)
          .put("p50_ms", p50Ms).put("p99_ms", p99Ms).put("statuses", s).put("transport_errors", errors);
    }
  }

  @Override
  public Integer call() {
    var cfg = target.configOptions.load().current();
    String token = target.userToken(cfg);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    WebClient api = BenchHttp.client(vertx, URI.create(target.url), connections);
    WebClient management = BenchHttp.client(vertx, URI.create(managementUrl), connections);
    try {
      String[] ids = new String[accounts];
      String[] etags = new String[accounts];
      List<Future<Void>> made = new ArrayList<>();
      for (int i = 0; i < accounts; i++) {
        int idx = i;
        made.add(api.post("/v1/accounts").bearerTokenAuthentication(token)
            .putHeader("Idempotency-Key", UUID.randomUUID().toString()).putHeader("content-type", "application/json")
            .sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}"))
            .compose(r -> r.statusCode() != 201 ? Future.failedFuture("creating an account answered "
                + r.statusCode() + ": " + r.bodyAsString()) : Future.succeededFuture(r.bodyAsJsonObject()
                .getString("id")))
            .compose(id -> api.get("/v1/accounts/" + id).bearerTokenAuthentication(token).send().map(r -> {
              ids[idx] = id;
              etags[idx] = r.getHeader("ETag");
              return (Void) null;
            })));
      }
      Future.all(made).toCompletionStage().toCompletableFuture().join();
      String metricsToken = cfg.management().authToken();
      Map<String, Double> before = reads(management, metricsToken);
      JsonArray results = new JsonArray();
      Map<String, PhaseResult> byName = new TreeMap<>();
      java.util.function.BiConsumer<PhaseResult, Map<String, Double>> keep = (r, from) -> {
        Map<String, Double> to = reads(management, metricsToken);
        JsonObject j = r.toJson();
        double l1 = delta(from, to, "l1");
        double l2 = delta(from, to, "l2");
        double miss = delta(from, to, "miss");
        double all = l1 + l2 + miss;
        if (all > 0) {
          j.put("cache_reads", new JsonObject().put("l1", l1).put("l2", l2).put("miss", miss))
              .put("hit_ratio", round((l1 + l2) / all));
        }
        if (r.name().equals("304")) {
          long notModified = r.statuses().getOrDefault(304, 0L);
          long answered = r.statuses().values().stream().mapToLong(Long::longValue).sum();
          j.put("not_modified_ratio", answered == 0 ? 0 : round(notModified / (double) answered));
        }
        results.add(j);
        byName.put(r.name(), r);
        from.clear();
        from.putAll(to);
      };
      keep.accept(print(run("live", i -> management.get("/health/live"))), before);
      keep.accept(print(run("l1-hit", i -> api.get("/v1/accounts/" + ids[i]).bearerTokenAuthentication(token))),
          before);
      keep.accept(print(run("304", i -> api.get("/v1/accounts/" + ids[i]).bearerTokenAuthentication(token)
          .putHeader("If-None-Match", etags[i]))), before);
      keep.accept(print(run("miss", i -> api.get("/v1/accounts/" + ids[i] + "?consistent=true")
          .bearerTokenAuthentication(token))), before);
      keep.accept(print(run("direct", i -> api.get("/v1/accounts/" + ids[i] + "/transfers?limit=1")
          .bearerTokenAuthentication(token))), before);
      JsonObject summary = new JsonObject();
      PhaseResult live = byName.get("live");
      PhaseResult hit = byName.get("l1-hit");
      PhaseResult miss = byName.get("miss");
      PhaseResult direct = byName.get("direct");
      summary.put("l1_hit_vs_live", round(hit.perSecond() / live.perSecond()))
          .put("304_vs_l1_hit", round(byName.get("304").perSecond() / hit.perSecond()))
          .put("miss_p50_vs_direct_p50", round(miss.p50Ms() / direct.p50Ms()))
          .put("direct_vs_miss_throughput", round(direct.perSecond() / miss.perSecond()));
      if (!noTransfers) {
        keep.accept(print(runCalls("transfers", i -> {
          int other = (i + 1 + ThreadLocalRandom.current().nextInt(accounts - 1)) % accounts;
          return api.post("/v1/transfers").bearerTokenAuthentication(token)
              .putHeader("Idempotency-Key", UUID.randomUUID().toString())
              .putHeader("content-type", "application/json")
              .sendBuffer(Buffer.buffer("{\"debit_account_id\":\"" + ids[i] + "\",\"credit_account_id\":\""
                  + ids[other] + "\",\"amount\":\"1\",\"ledger\":1,\"code\":1}"));
        })), before);
        JsonObject delay = invalidationDelay(management, metricsToken);
        summary.put("invalidation_delay", delay);
        System.out.println("invalidation delay (transfer's ledger timestamp to its balances dropped on the node): "
            + delay.encode());
      }
      System.out.println("summary " + summary.encode());
      System.out.println(new JsonObject().put("bench", "cache").put("date", LocalDate.now().toString())
          .put("connections", connections).put("duration_s", window.durationSeconds).put("accounts", accounts)
          .put("results", results).put("summary", summary).encode());
      return 0;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  private PhaseResult run(String name, Function<Integer, HttpRequest<Buffer>> request) {
    return runCalls(name, i -> request.apply(i).send());
  }

  private PhaseResult runCalls(String name, Function<Integer, Future<HttpResponse<Buffer>>> request) {
    Recorder recorder = new Recorder(3);
    Map<Integer, Long> statuses = new ConcurrentHashMap<>();
    AtomicLong errors = new AtomicLong();
    AtomicLong completed = new AtomicLong();
    BenchWindow.Deadlines deadlines = window.deadlines(System.nanoTime());
    long measureFrom = deadlines.measureFrom();
    long end = deadlines.end();
    CountDownLatch done = new CountDownLatch(connections);
    for (int c = 0; c < connections; c++) {
      loop(request, measureFrom, end, recorder, statuses, errors, completed, done);
    }
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Histogram h = recorder.getIntervalHistogram();
    return new PhaseResult(name, completed.get() / (double) window.durationSeconds, h.getValueAtPercentile(50) / 1e3,
        h.getValueAtPercentile(99) / 1e3, new TreeMap<>(statuses), errors.get());
  }

  private void loop(Function<Integer, Future<HttpResponse<Buffer>>> request, long measureFrom, long end, Recorder recorder,
      Map<Integer, Long> statuses, AtomicLong errors, AtomicLong completed, CountDownLatch done) {
    long now = System.nanoTime();
    if (now >= end) {
      done.countDown();
      return;
    }
    request.apply(ThreadLocalRandom.current().nextInt(accounts)).onComplete(ar -> {
      long t = System.nanoTime();
      if (now >= measureFrom && t <= end) {
        recorder.recordValue(Math.max(1, (t - now) / 1000));
        if (ar.succeeded()) {
          statuses.merge(ar.result().statusCode(), 1L, Long::sum);
          if (ar.result().statusCode() < 400) {
            completed.incrementAndGet();
          }
        } else {
          errors.incrementAndGet();
        }
      }
      loop(request, measureFrom, end, recorder, statuses, errors, completed, done);
    });
  }

  private static final java.util.regex.Pattern READS = java.util.regex.Pattern.compile(
      "^ledgerline_cache_reads_total\\{(?=[^}]*cache=\"balance\")(?=[^}]*result=\"(\\w+)\")[^}]*} ([0-9.eE+-]+)$");

  /** The balance cache's reads by result, from the node's /metrics (empty when it cannot be read). */
  private static Map<String, Double> reads(WebClient management, String token) {
    Map<String, Double> out = new TreeMap<>();
    for (String line : metrics(management, token).split("\n")) {
      var m = READS.matcher(line);
      if (m.matches()) {
        out.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
      }
    }
    return out;
  }

  /**
   * p50, p99 (upper bounds: the first histogram bucket that holds the share) and max of
   * {@code ledgerline.cache.invalidation.delay} in ms, and its count (one sample per committed batch).
   */
  private static JsonObject invalidationDelay(WebClient management, String token) {
    TreeMap<Double, Double> buckets = new TreeMap<>();
    JsonObject j = new JsonObject();
    for (String line : metrics(management, token).split("\n")) {
      if (!line.startsWith("ledgerline_cache_invalidation_delay_seconds")) {
        continue;
      }
      double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      var le = java.util.regex.Pattern.compile("le=\"([^\"]+)\"").matcher(line);
      if (line.startsWith("ledgerline_cache_invalidation_delay_seconds_bucket") && le.find()) {
        buckets.put(le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1)), v);
      } else if (line.startsWith("ledgerline_cache_invalidation_delay_seconds_max")) {
        j.put("max_ms", round(v * 1000));
      } else if (line.startsWith("ledgerline_cache_invalidation_delay_seconds_count")) {
        j.put("count", (long) v);
      }
    }
    double total = buckets.isEmpty() ? 0 : buckets.lastEntry().getValue();
    for (double q : new double[] {0.5, 0.99}) {
      for (var b : buckets.entrySet()) {
        if (total > 0 && b.getValue() >= q * total) {
          j.put(q == 0.5 ? "p50_ms_at_most" : "p99_ms_at_most", round(b.getKey() * 1000));
          break;
        }
      }
    }
    return j;
  }

  private static String metrics(WebClient management, String token) {
    HttpRequest<Buffer> r = management.get("/metrics");
    if (token != null && !token.isEmpty()) {
      r.bearerTokenAuthentication(token);
    }
    try {
      HttpResponse<Buffer> resp = r.send().toCompletionStage().toCompletableFuture().join();
      return resp.statusCode() == 200 && resp.body() != null ? resp.bodyAsString() : "";
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static double delta(Map<String, Double> from, Map<String, Double> to, String result) {
    return to.getOrDefault(result, 0.0) - from.getOrDefault(result, 0.0);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static PhaseResult print(PhaseResult r) {
    System.out.printf("%-8s %10.0f req/s   p50 %7.2f ms  p99 %7.2f ms  statuses %s  transport errors %d%n",
        r.name(), r.perSecond(), r.p50Ms(), r.p99Ms(), r.statuses(), r.errors());
    return r;
  }
}
