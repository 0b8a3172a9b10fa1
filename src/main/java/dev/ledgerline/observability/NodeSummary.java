package dev.ledgerline.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One node's part of the console, read from its own meters once a tick: rates are the change since the previous
 * tick, the HTTP p99 comes from the latency histogram's buckets over the same interval. Only meter names and their
 * bounded labels (route templates, providers, caches) appear; never an id or a user.
 */
final class NodeSummary {
  private static final String[] BREAKER_STATES = {"closed", "half_open", "open"};

  private final MeterRegistry registry;
  private final Map<String, Double> previous = new HashMap<>();
  private Map<Double, Double> previousBuckets = new TreeMap<>();
  private long previousNanos;

  NodeSummary(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The node's summary now; {@code nodeId} names it among the cluster's. */
  synchronized JsonObject read(String nodeId, long nowNanos) {
    double seconds = previousNanos == 0 ? 0 : (nowNanos - previousNanos) / 1e9;
    previousNanos = nowNanos;
    return new JsonObject().put("node", nodeId).put("ledger", ledger(seconds)).put("http", http(seconds))
        .put("breakers", breakers()).put("caches", caches());
  }

  private JsonObject ledger(double seconds) {
    Counter events = registry.find("ledger.events").tag("operation", "create_transfers").counter();
    if (events == null) {
      return null;
    }
    DistributionSummary batch = registry.find("ledger.batch.events").tag("operation", "create_transfers").summary();
    double batches = batch == null ? 0 : delta("ledger.batches", batch.count());
    double batched = batch == null ? 0 : delta("ledger.batched", batch.totalAmount());
    Gauge queue = registry.find("ledger.queue.events").gauge();
    Gauge halted = registry.find("ledger.engine.halted").gauge();
    return new JsonObject().put("transfers_per_s", rate(delta("ledger.events", events.count()), seconds))
        .put("batch_size", batches == 0 ? 0 : round(batched / batches))
        .put("queue", queue == null ? 0 : (long) queue.value())
        .put("halted", halted != null && halted.value() > 0);
  }

  private JsonObject http(double seconds) {
    double requests = 0;
    double errors = 0;
    Map<Double, Double> buckets = new TreeMap<>();
    for (Timer t : registry.find(NodeMeters.HTTP_SERVER_TIME).timers()) {
      if (management(t.getId().getTag("route"))) {
        continue;
      }
      HistogramSnapshot s = t.takeSnapshot();
      requests += s.count();
      String code = t.getId().getTag("code");
      if (code != null && code.startsWith("5")) {
        errors += s.count();
      }
      for (CountAtBucket b : s.histogramCounts()) {
        buckets.merge(b.bucket(TimeUnit.MILLISECONDS), b.count(), Double::sum);
      }
    }
    double total = delta("http.requests", requests);
    JsonObject out = new JsonObject().put("requests_per_s", rate(total, seconds))
        .put("errors_per_s", rate(delta("http.errors", errors), seconds));
    Double p99 = quantile(buckets, previousBuckets, total, 0.99);
    previousBuckets = buckets;
    return p99 == null ? out : out.put("p99_ms", p99);
  }

  /** The management server's own routes (scrapes, probes, this console) are not the API's traffic. */
  static boolean management(String route) {
    return route != null && (route.startsWith("/metrics") || route.startsWith("/health") || route.startsWith("/console"));
  }

  /**
   * The upper bound (ms) of the bucket holding quantile {@code q} of the {@code count} requests since the last tick,
   * from cumulative bucket counts as Prometheus keeps them; the largest bound when it lies beyond every bucket; null
   * without requests in between.
   */
  static Double quantile(Map<Double, Double> now, Map<Double, Double> before, double count, double q) {
    if (count <= 0 || now.isEmpty()) {
      return null;
    }
    double bound = 0;
    for (Map.Entry<Double, Double> e : now.entrySet()) {
      bound = e.getKey();
      if (e.getValue() - before.getOrDefault(bound, 0.0) >= q * count) {
        return bound;
      }
    }
    return bound;
  }

  private JsonArray breakers() {
    JsonArray out = new JsonArray();
    for (Gauge g : registry.find("ledgerline.provider.breaker.state").gauges()) {
      int code = (int) g.value();
      out.add(new JsonObject().put("provider", g.getId().getTag("provider"))
          .put("state", code >= 0 && code < BREAKER_STATES.length ? BREAKER_STATES[code] : "unknown"));
    }
    return out;
  }

  private JsonArray caches() {
    Map<String, double[]> reads = new TreeMap<>();
    for (Counter c : registry.find("ledgerline.cache.reads").counters()) {
      double[] r = reads.computeIfAbsent(c.getId().getTag("cache"), k -> new double[3]);
      switch (String.valueOf(c.getId().getTag("result"))) {
        case "l1" -> r[0] = c.count();
        case "l2" -> r[1] = c.count();
        default -> r[2] = c.count();
      }
    }
    JsonArray out = new JsonArray();
    reads.forEach((cache, r) -> {
      double all = r[0] + r[1] + r[2];
      JsonObject c = new JsonObject().put("cache", cache).put("reads", (long) all);
      if (all > 0) {
        c.put("l1_hit_ratio", round(r[0] / all));
      }
      if (r[1] + r[2] > 0) {
        c.put("l2_hit_ratio", round(r[1] / (r[1] + r[2])));
      }
      out.add(c);
    });
    return out;
  }

  private double delta(String key, double now) {
    Double before = previous.put(key, now);
    return before == null ? 0 : Math.max(0, now - before);
  }

  private static double rate(double delta, double seconds) {
    return seconds <= 0 ? 0 : round(delta / seconds);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
