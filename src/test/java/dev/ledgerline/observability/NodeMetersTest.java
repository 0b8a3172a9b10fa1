package dev.ledgerline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.testing.Poll;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The registries a node builds: SLO buckets on the HTTP timer, promtool-clean names, and the OTLP push. */
class NodeMetersTest {
  private static LedgerlineConfig.Metrics settings(boolean push, String endpoint) {
    return new LedgerlineConfig.Metrics(Duration.ofMillis(300), push, endpoint, Duration.ofSeconds(1));
  }

  @Test
  void theHttpTimerHasBucketsAtTheObjective() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MeterRegistry meters = NodeMeters.create(prometheus, settings(false, "http://127.0.0.1:1/v1/metrics"));
    assertThat(meters).isSameAs(prometheus);
    Timer.builder(NodeMeters.HTTP_SERVER_TIME).tag("route", "/v1/accounts/:id").register(meters)
        .record(Duration.ofMillis(120));
    String text = prometheus.scrape();
    assertThat(text).contains("vertx_http_server_response_time_seconds_bucket{route=\"/v1/accounts/:id\",le=\"0.3\"} 1")
        .contains("le=\"0.25\"").contains("le=\"0.1\"} 0");
  }

  @Test
  void metersPromtoolWouldFlagAreRenamedOrLeftOut() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MeterRegistry meters = NodeMeters.create(prometheus, settings(false, "http://127.0.0.1:1/v1/metrics"));
    Counter.builder("jvm.compilation.time").baseUnit("ms").register(meters).increment();
    meters.gauge("system.cpu.count", 4);
    assertThat(prometheus.scrape()).doesNotContain("jvm_compilation_time").contains("system_cpus 4")
        .doesNotContain("system_cpu_count");
  }

  @Test
  void pushSendsTheSameMetersOverOtlp() {
    Vertx vertx = Vertx.vertx();
    List<Map<String, String>> posts = new CopyOnWriteArrayList<>();
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      Map<String, String> seen = new TreeMap<>();
      seen.put("path", req.path());
      seen.put("type", req.getHeader("Content-Type"));
      seen.put("body", body.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
      posts.add(seen);
      req.response().end();
    })).listen(0, "127.0.0.1").await();
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MeterRegistry meters = NodeMeters.create(prometheus,
        settings(true, "http://127.0.0.1:" + server.actualPort() + "/v1/metrics"));
    try {
      assertThat(meters).isInstanceOf(CompositeMeterRegistry.class);
      Counter.builder("ledgerline.push.probe").register(meters).increment(3);
      assertThat(prometheus.scrape()).contains("ledgerline_push_probe_total 3.0");
      Poll.until(Duration.ofSeconds(15), "an OTLP push with the counter",
          () -> posts.stream().anyMatch(p -> p.get("body").contains("ledgerline.push.probe")));
      assertThat(posts.get(0).get("path")).isEqualTo("/v1/metrics");
      assertThat(posts.get(0).get("type")).isEqualTo("application/x-protobuf");
    } finally {
      meters.close();
      server.close().await();
      vertx.close().await();
    }
  }
}
