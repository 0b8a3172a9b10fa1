package dev.ledgerline.gateway.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.users.Role;
import dev.ledgerline.gateway.auth.TokenIssuer;
import dev.ledgerline.node.Node;
import dev.ledgerline.node.TestNodes;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revocations outlive Redis: a revoked token stays refused across a restart of the whole node with an empty Redis,
 * and across a FLUSHALL or a restart of Redis alone, without restarting the node.
 */
class RevocationDurabilityTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private WebClient web;
  private Node node;
  private int port;

  @BeforeEach
  void client() {
    vertx = Vertx.vertx();
    web = WebClient.create(vertx);
    port = TestNodes.freePort();
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop().join();
    }
    vertx.close().await();
  }

  private ConfigService config(Map<String, String> extra) {
    Map<String, String> sets = new HashMap<>(Map.of("node.data-dir", dir.resolve("data").toString(),
        "node.roles", "gateway,ledger", "postgres.data-dir", dir.resolve("pg").toString(),
        "ledger.engine.data-dir", dir.resolve("ledger").toString(), "gateway.port", String.valueOf(port)));
    sets.putAll(extra);
    return TestNodes.config(sets);
  }

  private static String token(ConfigService config, String sub) {
    return TokenIssuer.issue(JwtSettings.from(config.current()), sub, Set.of(Role.USER), Duration.ofMinutes(10),
        Instant.now());
  }

  /** The status of an authenticated read: 401 when the token is refused, 404 (no such account) when accepted. */
  private int read(String token) {
    return web.get(port, "127.0.0.1", "/v1/accounts/424242").putHeader("Authorization", "Bearer " + token).send()
        .await().statusCode();
  }

  private int revoke(String token) {
    HttpResponse<Buffer> r = web.post(port, "127.0.0.1", "/v1/auth/revoke").putHeader("Authorization",
        "Bearer " + token).send().await();
    return r.statusCode();
  }

  private static long revocationKeys(Redis redis) {
    return redis.send(Request.cmd(Command.KEYS).arg("ll:revoked:*")).await().stream()
        .filter(k -> !k.toString().endsWith("@filled")).count();
  }

  @Test
  void aRevokedTokenIsStillRefusedAfterTheNodeAndItsInMemoryRedisRestart() {
    ConfigService config = config(Map.of());
    node = new Node(config).start().await();
    String revoked = token(config, "alice");
    String other = token(config, "bob");
    assertThat(read(revoked)).isEqualTo(404);
    assertThat(revoke(revoked)).isEqualTo(200);
    assertThat(read(revoked)).isEqualTo(401);

    node.stop().join();
    node = new Node(config(Map.of())).start().await();
    // The new embedded Redis started empty; the node refilled it from PostgreSQL before serving.
    assertThat(revocationKeys(node.services().redis())).isEqualTo(1);
    assertThat(read(revoked)).isEqualTo(401);
    assertThat(read(other)).isEqualTo(404);
  }

  @Test
  void aRevokedTokenIsRefusedAgainAfterFlushallAndAfterARestartOfRedisAlone() throws Exception {
    try (TestRedis redis = TestRedis.start()) {
      ConfigService config = config(Map.of("redis.mode", "external", "redis.url", redis.uri()));
      node = new Node(config).start().await();
      Redis admin = redis.client(vertx);
      String revoked = token(config, "carol");
      assertThat(revoke(revoked)).isEqualTo(200);
      assertThat(read(revoked)).isEqualTo(401);

      admin.send(Request.cmd(Command.FLUSHALL)).await();
      assertThat(read(revoked)).as("right after FLUSHALL: PostgreSQL answers").isEqualTo(401);
      Poll.until(Duration.ofSeconds(30), "Redis refilled after FLUSHALL", () -> revocationKeys(admin) == 1);
      assertThat(read(revoked)).isEqualTo(401);

      redis.stop();
      String duringOutage = token(config, "dave");
      assertThat(read(duringOutage)).as("reads go on with PostgreSQL answering the check").isEqualTo(404);
      assertThat(revoke(duringOutage)).as("a revocation needs Redis too").isEqualTo(503);
      redis.restart();
      // Empty again; the refill brings back both the earlier revocation and the one recorded during the outage.
      Poll.until(Duration.ofSeconds(30), "Redis refilled after its restart", () -> {
        try {
          return revocationKeys(admin) == 2;
        } catch (RuntimeException e) {
          return false;
        }
      });
      assertThat(read(revoked)).isEqualTo(401);
      assertThat(read(duringOutage)).isEqualTo(401);
      assertThat(read(token(config, "erin"))).isEqualTo(404);
    }
  }
}
