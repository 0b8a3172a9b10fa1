package dev.ledgerline.cli.bench;

import dev.ledgerline.infra.Processes;
import dev.ledgerline.cli.ConfigOptions;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench http --tracing off,0.1,1.0}: the cost of tracing, measured in one run. For each mode a node is started
 * in this process on the same data (the configuration given, with free ports and temporary directories), spans are
 * exported in Zipkin's format to a local sink that reads and drops them, so export costs what it costs without any
 * backend, and the same phases run against it. The sink's tally shows that spans were exported.
 */
final class TracingBench {
  private final HttpBenchCommand http;
  private final ConfigOptions config;
  private final List<String> modes;

  TracingBench(HttpBenchCommand http, ConfigOptions config, String modes) {
    this.http = http;
    this.config = config;
    this.modes = List.of(modes.split(",")).stream().map(String::trim).filter(m -> !m.isEmpty()).toList();
    for (String m : this.modes) {
      if (!m.equals("off")) {
        double ratio = Double.parseDouble(m);
        if (ratio < 0 || ratio > 1) throw new IllegalArgumentException("--tracing: a ratio is 0..1, not " + m);
      }
    }
  }

  int call() {
    Vertx vertx = Vertx.vertx();
    AtomicLong exports = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    HttpServer sink = vertx.createHttpServer().requestHandler(req -> req.body().onComplete(body -> {
      exports.incrementAndGet();
      if (body.succeeded()) bytes.addAndGet(body.result().length());
      req.response().setStatusCode(202).end();
    })).listen(0, "127.0.0.1").await();
    Path root;
    try {
      root = Files.createTempDirectory("ledgerline-bench-tracing");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonArray runs = new JsonArray();
    try {
      for (String mode : modes) {
        long exportsBefore = exports.get();
        long bytesBefore = bytes.get();
        JsonArray results = measure(mode, root, "http://127.0.0.1:" + sink.actualPort() + "/api/v2/spans");
        System.out.printf("tracing %-5s exported %d posts, %d KiB%n", mode, exports.get() - exportsBefore,
            (bytes.get() - bytesBefore) / 1024);
        runs.add(new JsonObject().put("tracing", mode).put("results", results)
            .put("export_posts", exports.get() - exportsBefore).put("export_bytes", bytes.get() - bytesBefore));
      }
    } finally {
      vertx.close().await();
    }
    System.out.println(new JsonObject().put("bench", "http-tracing").put("date", LocalDate.now().toString())
        .put("connections", http.connections).put("duration_s", http.window.durationSeconds).put("runs", runs)
        .encode());
    return 0;
  }

  private JsonArray measure(String mode, Path root, String sink) {
    Map<String, String> sets = new LinkedHashMap<>(config.sets());
    int gateway = Processes.freeLoopbackPort();
    sets.put("gateway.port", String.valueOf(gateway));
    sets.put("management.port", String.valueOf(Processes.freeLoopbackPort()));
    sets.putIfAbsent("node.roles", "gateway,ledger");
    sets.putIfAbsent("postgres.data-dir", root.resolve("pg").toString());
    sets.putIfAbsent("ledger.engine.data-dir", root.resolve("ledger").toString());
    sets.putIfAbsent("node.data-dir", root.resolve("node").toString());
    sets.put("redis.data-dir", "");
    sets.put("tracing.exporter", mode.equals("off") ? "none" : "zipkin");
    if (!mode.equals("off")) {
      sets.put("tracing.endpoint", sink);
      sets.put("tracing.sampling-ratio", mode);
    }
    ConfigService cfg = ConfigService.load(ConfigService.Source.of(ConfigService.Source.defaultFile(config.file()),
        sets));
    Node node = new Node(cfg).start().await();
    try {
      http.token = http.target.userToken(cfg.current());
      System.out.println("tracing " + mode.toLowerCase(Locale.ROOT) + ":");
      return http.measure(URI.create("http://127.0.0.1:" + gateway));
    } finally {
      node.stop().join();
    }
  }

}
