package dev.ledgerline.gateway.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.DataRoot;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestRedis;
import dev.ledgerline.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Revocations outlive Redis: a revoked token stays refused across a restart of the whole node with an empty Redis,
 * and across a FLUSHALL or a restart of Redis alone, without restarting the node.
 */
class RevocationDurabilityTest {
  // Data directories outlive a node within a test (one test restarts it on them), so they are the test's own; the
  // nodes stop before the directories go.
  @RegisterExtension
  @Order(1)
  final DataRoot dir = new DataRoot("ledgerline-revocation-test");
  @RegisterExtension
  @Order(2)
  final NodeExtension nodes = NodeExtension.nodes();
  private final int port = FreePorts.next();
  private WebClient web;
  private Node node;

  @BeforeEach
  void client() {
    web = WebClient.create(nodes.client());
  }

  private ConfigService config(Map<String, String> extra) {
    Map<String, String> sets = new HashMap<>(Map.of("node.data-dir", dir.resolve("data").toString(),
        "node.roles", "gateway,ledger", "postgres.data-dir", dir.resolve("pg").toString(),
        "ledger.engine.data-dir", dir.resolve("ledger").toString(), "gateway.port", String.valueOf(port)));
    sets.putAll(extra);
    return NodeExtension.configWith(sets);
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
    node = nodes.start(config);
    String revoked = Tokens.of(config).user("alice");
    String other = Tokens.of(config).user("bob");
    assertThat(read(revoked)).isEqualTo(404);
    assertThat(revoke(revoked)).isEqualTo(200);
    assertThat(read(revoked)).isEqualTo(401);

    node.stop().join();
    node = nodes.start(config(Map.of()));
    // The new embedded Redis started empty; the node refilled it from PostgreSQL before serving.
    assertThat(revocationKeys(node.services().redis())).isEqualTo(1);
    assertThat(read(revoked)).isEqualTo(401);
    assertThat(read(other)).isEqualTo(404);
  }

  @Test
  void aRevokedTokenIsRefusedAgainAfterFlushallAndAfterARestartOfRedisAlone() throws Exception {
    try (TestRedis redis = TestRedis.start()) {
      ConfigService config = config(Map.of("redis.mode", "external", "redis.url", redis.uri()));
      node = nodes.start(config);
      Redis admin = redis.client(nodes.client());
      String revoked = Tokens.of(config).user("carol");
      assertThat(revoke(revoked)).isEqualTo(200);
      assertThat(read(revoked)).isEqualTo(401);

      admin.send(Request.cmd(Command.FLUSHALL)).await();
      assertThat(read(revoked)).as("right after FLUSHALL: PostgreSQL answers").isEqualTo(401);
      Poll.until(Duration.ofSeconds(30), "Redis refilled after FLUSHALL", () -> revocationKeys(admin) == 1);
      assertThat(read(revoked)).isEqualTo(401);

      redis.stop();
      String duringOutage = Tokens.of(config).user("dave");
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
      assertThat(read(Tokens.of(config).user("erin"))).isEqualTo(404);
    }
  }
}
