package dev.ledgerline.node;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Helpers for tests that start real nodes. */
public final class TestNodes {
  private TestNodes() {}

  public static int freePort() {
    return FreePorts.next();
  }

  /** A configuration from built-in defaults plus the given keys (no file, no environment). */
  public static ConfigService config(Map<String, String> sets) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("management.port", String.valueOf(freePort()));
    all.put("gateway.port", String.valueOf(freePort()));
    // A busy test machine can stall a Redis reply past the production default, which would turn a test request into
    // a 503 or switch rate limits to local buckets; tests that exercise the timeout build their own limiter.
    all.put("redis.command-timeout", "5s");
    // Never the working directory's data/: a PostgreSQL, a ledger and a node directory of its own per node, unless
    // the test names them (a lease row, an account or a log left by another test or run must not leak into this one).
    if (!sets.containsKey("postgres.data-dir") && !sets.containsKey("postgres.mode")) {
      all.put("postgres.data-dir", tempDataRoot("ledgerline-test-pg").resolve("pg").toString());
    }
    if (!sets.containsKey("ledger.engine.data-dir")) {
      all.put("ledger.engine.data-dir", tempDataRoot("ledgerline-test-ledger").resolve("ledger").toString());
    }
    if (!sets.containsKey("node.data-dir")) {
      all.put("node.data-dir", tempDataRoot("ledgerline-test-node").toString());
    }
    // In memory unless a test asks for a directory: test nodes must not share (or lock) one append-only file.
    all.put("redis.data-dir", "");
    all.putAll(sets);
    return ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), all));
  }

  /**
   * A fresh directory that the unprivileged PostgreSQL user can pass through (as root, the embedded server runs as
   * nobody), removed when the test JVM exits.
   */
  public static Path tempDataRoot(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (var paths = Files.walk(dir)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
          // Best effort.
        }
      }));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Node start(Map<String, String> sets) {
    return new Node(config(sets)).start().await();
  }

  /** GET a management path of a node; returns status and JSON body. */
  public static Map.Entry<Integer, JsonObject> get(Vertx vertx, int port, String path) {
    var resp = WebClient.create(vertx).get(port, "127.0.0.1", path).send().await();
    String body = resp.bodyAsString();
    return Map.entry(resp.statusCode(), body == null || body.isEmpty() ? new JsonObject() : new JsonObject(body));
  }

  /** Polls a condition until it holds or the deadline passes. */
  public static void await(Duration timeout, BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("condition not met within " + timeout);
      }
      try {
        Thread.sleep(50); // polling interval only; the condition decides
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** The data of one named check in a /health/ready body. */
  public static JsonObject check(JsonObject health, String id) {
    return health.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> id.equals(c.getString("id"))).findFirst()
        .orElseThrow(() -> new AssertionError("no check " + id + " in " + health.encode()));
  }
}
