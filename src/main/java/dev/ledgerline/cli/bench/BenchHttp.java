package dev.ledgerline.cli.bench;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.gateway.auth.TokenIssuer;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** A benchmark's calls to a node's gateway: tokens the node accepts, JSON POSTs each with its own idempotency key. */
final class BenchHttp {
  private final WebClient web;

  BenchHttp(WebClient web) {
    this.web = web;
  }

  /** Up to {@code connections} keep-alive connections to the gateway of a node on loopback {@code port}. */
  static BenchHttp loopback(Vertx vertx, int port, int connections) {
    return new BenchHttp(WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(port).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections)));
  }

  /**
   * Up to {@code connections} keep-alive connections, one request at a time each (no pipelining), to the node at
   * {@code base} ({@code http} or {@code https}).
   */
  static WebClient client(Vertx vertx, URI base, int connections) {
    return WebClient.create(vertx, new WebClientOptions().setDefaultHost(base.getHost())
        .setDefaultPort(base.getPort() < 0 ? 80 : base.getPort()).setSsl("https".equals(base.getScheme()))
        .setKeepAlive(true).setPipelining(false), new PoolOptions().setHttp1MaxSize(connections));
  }

  /**
   * A real token (RS256 or as configured) of {@code subject} with {@code role}, signed with the key {@code cfg}
   * configures, valid longer than any run: the benchmark pays for verification as production does.
   */
  static String token(LedgerlineConfig cfg, String subject, Role role) {
    return TokenIssuer.issue(JwtSettings.from(cfg), subject, Set.of(role), Duration.ofHours(2), Instant.now());
  }

  void close() {
    web.close();
  }

  Future<HttpResponse<Buffer>> send(String path, String token, JsonObject body) {
    return web.post(path).putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString()).sendJsonObject(body);
  }

  /** POSTs and waits for the answer; anything but {@code expected} is an {@link IllegalStateException}. */
  JsonObject post(String path, String token, JsonObject body, int expected) {
    HttpResponse<Buffer> r = send(path, token, body).await();
    if (r.statusCode() != expected) {
      throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.bodyAsString());
    }
    return r.bodyAsJsonObject();
  }
}
