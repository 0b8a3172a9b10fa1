package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.auth.TestKeys;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one Hazelcast cluster sharing PostgreSQL and Redis (embedded in node A, which also runs the ledger):
 * a transfer written through one node drops the balance the other node holds in memory, through the committed feed.
 */
class BalanceCacheClusterTest {
  @TempDir
  static Path dir;
  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();
  private static Node b;
  private static int portA;
  private static int portB;
  private static int managementB;
  private static Tokens tokens;
  private static WebClient web;

  @BeforeAll
  static void start() throws Exception {
    KeyPair keys = TestKeys.rsa();
    Path pub = TestKeys.writePublicPem(dir, "jwt-public.pem", keys);
    Path priv = TestKeys.writePrivatePem(dir, "jwt-private.pem", keys);
    int[] hz = {FreePorts.next(), FreePorts.next()};
    portA = FreePorts.next();
    portB = FreePorts.next();
    managementB = FreePorts.next();
    Map<String, String> common = new HashMap<>(Map.of("cluster.enabled", "true",
        "cluster.name", "cache-" + System.nanoTime(), "cluster.members", "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1],
        "auth.jwt.public-keys", pub.toString(), "auth.jwt.private-key", priv.toString(), "auth.jwt.dev-keys", "false",
        "auth.users.auto-provision", "true", "cache.debug-headers", "true",
        "gateway.rate-limits", "{\"default\":{\"capacity\":100000,\"refill-per-second\":100000}}"));
    Map<String, String> sa = new HashMap<>(common);
    sa.putAll(Map.of("node.id", "a", "node.roles", "gateway,ledger,cache", "cluster.port", String.valueOf(hz[0]),
        "gateway.port", String.valueOf(portA)));
    ConfigService configA = NodeExtension.configWith(sa);
    Node a = nodes.start(configA);
    Map<String, String> sb = new HashMap<>(common);
    sb.putAll(Map.of("node.id", "b", "node.roles", "gateway,cache", "cluster.port", String.valueOf(hz[1]),
        "gateway.port", String.valueOf(portB), "management.port", String.valueOf(managementB),
        "postgres.mode", "external", "postgres.url", a.services().postgresUrl().orElseThrow().url(),
        "redis.mode", "external", "redis.url", a.services().redisUrl().orElseThrow()));
    b = nodes.start(sb);
    tokens = Tokens.of(configA);
    web = WebClient.create(nodes.client());
    Poll.until(Duration.ofSeconds(30), "both nodes in the cluster", () -> a.members() == 2 && b.members() == 2);
  }

  private static HttpResponse<Buffer> get(int port, String path, String token) {
    return web.get(port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + token).send().await();
  }

  private static String account(String token) {
    HttpResponse<Buffer> r = web.post(portA, "127.0.0.1", "/v1/accounts").putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}")).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("id");
  }

  private static void transfer(String token, String from, String to) {
    HttpResponse<Buffer> r = web.post(portA, "127.0.0.1", "/v1/transfers").putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString()).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{\"debit_account_id\":\"" + from + "\",\"credit_account_id\":\"" + to
            + "\",\"amount\":\"1\",\"ledger\":1,\"code\":1}")).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
  }

  @Test
  void aTransferThroughOneNodeDropsTheBalanceTheOtherNodeHolds() {
    String kim = tokens.issue("kim", Role.USER);
    String from = account(kim);
    String to = account(kim);
    for (int i = 1; i <= 20; i++) {
      // Node B holds the balance in memory ...
      get(portB, "/v1/accounts/" + to, kim);
      assertThat(get(portB, "/v1/accounts/" + to, kim).getHeader("X-Cache")).isEqualTo("L1");
      // ... a transfer goes through node A ...
      transfer(kim, from, to);
      String expected = String.valueOf(i);
      // ... and node B serves the new balance once the committed feed reached it (no read-through asked for).
      Poll.until(Duration.ofSeconds(5), "node B drops the cached balance",
          () -> expected.equals(get(portB, "/v1/accounts/" + to, kim).bodyAsJsonObject().getString("credits_posted")));
    }
    String metrics = web.get(managementB, "127.0.0.1", "/metrics").send().await().bodyAsString();
    metrics.lines().filter(l -> l.startsWith("ledgerline_cache_invalidation_delay_seconds") && !l.contains("_bucket"))
        .forEach(l -> System.out.println("invalidation delay on node B (transfer on the ledger node A): " + l));
    assertThat(metrics).contains("ledgerline_cache_invalidation_delay_seconds_count");
  }
}
